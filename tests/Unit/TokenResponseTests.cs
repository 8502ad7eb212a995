using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class TokenResponseTests
{
    [Fact]
    public void ToTokenSet_LifetimesPastMaxValue_SaturateInsteadOfThrowing()
    {
        var response = new TokenResponse
        {
            AccessToken = "a",
            ExpiresIn = TimeSpan.FromDays(3650),
            RefreshToken = "r",
            RefreshTokenExpiresIn = TimeSpan.FromDays(3650),
        };
        var lateClock = DateTimeOffset.MaxValue.AddDays(-1);

        var tokens = response.ToTokenSet(lateClock, TimeSpan.FromHours(1), previous: null);

        Assert.Equal(DateTimeOffset.MaxValue, tokens.ExpiresAt);
        Assert.Equal(DateTimeOffset.MaxValue, tokens.RefreshTokenExpiresAt);
        Assert.Equal(lateClock, tokens.IssuedAt);
    }

    [Fact]
    public void ToTokenSet_DefaultLifetimePastMaxValue_Saturates()
    {
        var response = new TokenResponse { AccessToken = "a" };

        var tokens = response.ToTokenSet(DateTimeOffset.MaxValue.AddMinutes(-1), TimeSpan.FromHours(1), previous: null);

        Assert.Equal(DateTimeOffset.MaxValue, tokens.ExpiresAt);
    }
}
