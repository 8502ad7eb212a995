using AuthHandler.DependencyInjection.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class PrimaryHandlerRedirectsTests
{
    [Fact]
    public void TakeOver_DefaultSocketsHttpHandler_TurnsFollowingOffAndReturns50()
    {
        using var handler = new SocketsHttpHandler();

        Assert.Equal(50, PrimaryHandlerRedirects.TakeOver(handler));
        Assert.False(handler.AllowAutoRedirect);
    }

    [Fact]
    public void TakeOver_HttpClientHandlerWithOwnLimit_TurnsFollowingOffAndReturnsTheLimit()
    {
        using var handler = new HttpClientHandler { MaxAutomaticRedirections = 3 };

        Assert.Equal(3, PrimaryHandlerRedirects.TakeOver(handler));
        Assert.False(handler.AllowAutoRedirect);
    }

    [Fact]
    public void TakeOver_AppTurnedFollowingOff_Returns0()
    {
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };

        Assert.Equal(0, PrimaryHandlerRedirects.TakeOver(handler));
        Assert.False(handler.AllowAutoRedirect);
    }

    [Fact]
    public void TakeOver_SocketsHttpHandlerBehindADelegatingHandler_TurnsFollowingOff()
    {
        using var sockets = new SocketsHttpHandler();
        using var wrapper = new PassThrough { InnerHandler = sockets };

        Assert.Equal(50, PrimaryHandlerRedirects.TakeOver(wrapper));
        Assert.False(sockets.AllowAutoRedirect);
    }

    [Fact]
    public void TakeOver_UnknownHandler_Returns0()
    {
        using var handler = new Unknown();

        Assert.Equal(0, PrimaryHandlerRedirects.TakeOver(handler));
    }

    private sealed class PassThrough : DelegatingHandler;

    private sealed class Unknown : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage());
    }
}
