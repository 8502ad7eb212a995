using System.Net;
using System.Net.Sockets;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class LostAnswerTests
{
    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.GatewayTimeout, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    [InlineData(HttpStatusCode.NotImplemented, false)]
    [InlineData(HttpStatusCode.HttpVersionNotSupported, false)]
    [InlineData(HttpStatusCode.TooManyRequests, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    public void MayHaveBeenProcessed_ErrorStatusWithoutAnOAuthError_OnlyThe5xxThatDoNotSayNotProcessed(HttpStatusCode status, bool expected) =>
        Assert.Equal(expected, LostAnswer.MayHaveBeenProcessed(status));

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError)]
    [InlineData(HttpRequestError.ConnectionError)]
    [InlineData(HttpRequestError.SecureConnectionError)]
    [InlineData(HttpRequestError.ProxyTunnelError)]
    public void Of_RequestThatWasNeverSent_IsNotLost(HttpRequestError error) =>
        Assert.False(LostAnswer.Of(Failure(new HttpRequestException(error, "no"))));

    [Fact]
    public void Of_ConnectionRefusedDeepInTheChain_IsNotLost() =>
        Assert.False(LostAnswer.Of(Failure(new HttpRequestException("no", new SocketException((int)SocketError.ConnectionRefused)))));

    [Theory]
    [InlineData(HttpRequestError.ResponseEnded)]
    [InlineData(HttpRequestError.InvalidResponse)]
    [InlineData(HttpRequestError.Unknown)]
    public void Of_FailureAfterTheRequestWentOut_IsLost(HttpRequestError error) =>
        Assert.True(LostAnswer.Of(Failure(new HttpRequestException(error, "reset"))));

    [Fact]
    public void Of_AttemptTimeout_IsLost() =>
        Assert.True(LostAnswer.Of(Failure(new TimeoutException("attempt timed out"))));

    [Theory]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.Found, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    public void Of_StatusWhoseBodyNeverCame_IsLostFor2xxAndTheProcessing5xx(HttpStatusCode status, bool expected) =>
        Assert.Equal(expected, LostAnswer.Of(new TokenEndpointException(TokenEndpointFailure.Transient, "body failed", statusCode: status, innerException: new IOException("reset"))));

    private static TokenEndpointException Failure(Exception inner) =>
        new(TokenEndpointFailure.Transient, "could not be reached", innerException: inner);
}
