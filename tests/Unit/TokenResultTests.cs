using System.Net;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class TokenResultTests
{
    [Theory]
    [InlineData("invalid_grant", nameof(TokenResultKind.Rejected))]
    [InlineData("invalid_client", nameof(TokenResultKind.ClientMisconfigured))]
    [InlineData("unauthorized_client", nameof(TokenResultKind.ClientMisconfigured))]
    [InlineData("unsupported_grant_type", nameof(TokenResultKind.ClientMisconfigured))]
    [InlineData("invalid_request", nameof(TokenResultKind.ClientMisconfigured))]
    [InlineData("invalid_scope", nameof(TokenResultKind.ClientMisconfigured))]
    [InlineData("temporarily_unavailable", nameof(TokenResultKind.Transient))]
    [InlineData("server_error", nameof(TokenResultKind.Transient))]
    [InlineData("authorization_pending", nameof(TokenResultKind.Transient))]
    public void FromError_ClassifiesByTheCodeWhateverTheStatus(string code, string expected)
    {
        foreach (var status in new[] { HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK })
        {
            var result = TokenResult.FromError(OAuthError.FromServer(code, "why")!, status, "api");

            Assert.Equal(expected, result.Kind.ToString());
            Assert.Equal(code, result.Error!.Code);
            Assert.Equal(status, result.StatusCode);
        }
    }

    [Fact]
    public void FromError_ClientMisconfigured_CarriesAClientConfigurationFailureNamingTheClient()
    {
        var result = TokenResult.FromError(OAuthError.FromServer("invalid_client", "bad secret")!, HttpStatusCode.Unauthorized, "api");

        Assert.Equal(TokenEndpointFailure.ClientConfiguration, result.Failure!.Failure);
        Assert.False(result.Failure.IsTransient);
        Assert.Contains("'api'", result.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("(bad secret)", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal("invalid_client", result.Failure.Error);
    }

    [Fact]
    public void FromError_Rejected_CarriesNoFailure()
    {
        Assert.Null(TokenResult.FromError(OAuthError.FromServer("invalid_grant", null)!, HttpStatusCode.BadRequest, "api").Failure);
    }

    [Fact]
    public void Failed_KeepsTheIssuedRefreshTokenAndTheStatus()
    {
        var failure = new TokenEndpointException(TokenEndpointFailure.InvalidResponse, "no access token", statusCode: HttpStatusCode.OK);

        var result = TokenResult.Failed(failure, "r2");

        Assert.Equal(TokenResultKind.Transient, result.Kind);
        Assert.Equal("r2", result.IssuedRefreshToken);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.DoesNotContain("r2", result.ToString(), StringComparison.Ordinal);
    }
}
