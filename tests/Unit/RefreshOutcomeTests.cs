using System.Net;
using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class RefreshOutcomeTests
{
    public static TheoryData<Exception> Failures =>
    [
        new TokenEndpointException(TokenEndpointFailure.Transient, "busy", "temporarily_unavailable", HttpStatusCode.ServiceUnavailable) { RetryAfter = TimeSpan.FromSeconds(9) },
        new TokenStoreException("locked", isTransient: true),
        new TimeoutException("held elsewhere"),
        new ObjectDisposedException("disposed"),
    ];

    [Theory]
    [MemberData(nameof(Failures))]
    public void NewException_IsANewExceptionOfTheSameTypeWithTheOriginalAsCause(Exception failure)
    {
        var outcome = RefreshOutcome.Failed(failure);

        var first = outcome.NewException();
        var second = outcome.NewException();

        Assert.IsType(failure.GetType(), first);
        Assert.NotSame(first, second);
        Assert.Same(failure, first.InnerException);
        Assert.Equal(failure.Message, first.Message);
    }

    [Fact]
    public void NewException_TokenEndpointFailure_KeepsEveryProperty()
    {
        var failure = new TokenEndpointException(TokenEndpointFailure.ClientConfiguration, "bad client", "invalid_client", HttpStatusCode.Unauthorized) { RetryAfter = TimeSpan.FromSeconds(3) };

        var copy = Assert.IsType<TokenEndpointException>(RefreshOutcome.Failed(failure).NewException());

        Assert.Equal(TokenEndpointFailure.ClientConfiguration, copy.Failure);
        Assert.Equal("invalid_client", copy.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, copy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), copy.RetryAfter);
    }

    [Fact]
    public void NewException_StoreFailure_KeepsIsTransient()
    {
        var copy = Assert.IsType<TokenStoreException>(RefreshOutcome.Failed(new TokenStoreException("corrupt", isTransient: false)).NewException());

        Assert.False(copy.IsTransient);
    }
}
