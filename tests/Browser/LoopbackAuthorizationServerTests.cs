using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// The loopback authorization server's own checks, walked with an HttpClient (<see cref="FormClient"/>):
/// the browser tests rely on them, so each must be able to refuse. No browser starts.
/// </summary>
public sealed class LoopbackAuthorizationServerTests
{
    private static readonly Uri RedirectUri = new("http://127.0.0.1:50123/callback");

    [Fact]
    public async Task Metadata_AdvertisesItsOwnOriginAsIssuerTheEndpointsS256AndTheIssParameter()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);

        foreach (var path in new[] { "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration" })
        {
            using var document = JsonDocument.Parse(await forms.Http.GetStringAsync(new Uri(server.BaseAddress, path), TestContext.Current.CancellationToken));
            var root = document.RootElement;
            Assert.Equal(server.Issuer, root.GetProperty("issuer").GetString());
            Assert.StartsWith("http://127.0.0.1:", server.Issuer, StringComparison.Ordinal);
            Assert.Equal(server.AuthorizationEndpoint.AbsoluteUri, root.GetProperty("authorization_endpoint").GetString());
            Assert.Equal(server.TokenEndpoint.AbsoluteUri, root.GetProperty("token_endpoint").GetString());
            Assert.True(root.TryGetProperty("device_authorization_endpoint", out _));
            Assert.Equal(["S256"], root.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(value => value.GetString()));
            Assert.Equal(["code"], root.GetProperty("response_types_supported").EnumerateArray().Select(value => value.GetString()));
            Assert.True(root.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
        }
    }

    [Theory]
    [InlineData("https://127.0.0.1:50123/callback")]
    [InlineData("http://localhost:50123/callback")]
    [InlineData("http://192.0.2.1:50123/callback")]
    [InlineData("http://127.0.0.2:50123/callback")]
    [InlineData("http://127.0.0.1/callback")]
    [InlineData("http://user@127.0.0.1:50123/callback")]
    public async Task Authorize_RedirectUriNotAnRfc8252LoopbackRedirect_ShowsAnErrorPageAndDoesNotRedirect(string redirectUri)
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);

        using var response = await forms.Http.GetAsync(server.AuthorizationUrl(new Uri(redirectUri), "state", Challenge()), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Authorize_Ipv6LoopbackRedirect_ShowsTheLoginForm()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);

        using var response = await forms.Http.GetAsync(server.AuthorizationUrl(new Uri("http://[::1]:50123/callback"), "state", Challenge()), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"username\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData(null)]
    public async Task Authorize_NoS256Challenge_RedirectsWithInvalidRequestAndTheState(string? method)
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var url = server.AuthorizationUrl(RedirectUri, "the-state", Challenge()).AbsoluteUri.Replace("code_challenge_method=S256", method is null ? "x=y" : "code_challenge_method=" + method, StringComparison.Ordinal);

        using var response = await forms.Http.GetAsync(new Uri(url), TestContext.Current.CancellationToken);

        var query = Redirected(response);
        Assert.Equal("invalid_request", query["error"]);
        Assert.Equal("the-state", query["state"]);
    }

    [Fact]
    public async Task Consent_CsrfFieldNotTheServers_IsRefusedWithoutARedirect()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);

        using var response = await forms.SignInAsync(server.AuthorizationUrl(RedirectUri, "state", Challenge()), csrf: "forged");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Token_WrongCodeVerifier_AnsweredInvalidGrantAndRecordedAsPkceFailed()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var code = await CodeAsync(server, forms, LoopbackAuthorizationServer.NewCodeVerifier());

        using var response = await RedeemAsync(forms, server, code, RedirectUri, LoopbackAuthorizationServer.NewCodeVerifier());

        Assert.Equal("invalid_grant", await ErrorAsync(response));
        Assert.Equal(new TokenRequestRecord("authorization_code", LoopbackAuthorizationServer.ClientId, true, false, "invalid_grant"), Assert.Single(server.TokenRequests));
        Assert.Empty(server.IssuedTokens);
    }

    [Fact]
    public async Task Token_RedirectUriOtherThanTheAuthorizationRequests_AnsweredInvalidGrant()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        var code = await CodeAsync(server, forms, verifier);

        using var response = await RedeemAsync(forms, server, code, new Uri("http://127.0.0.1:50124/callback"), verifier);

        Assert.Equal("invalid_grant", await ErrorAsync(response));
        Assert.Equal(false, Assert.Single(server.TokenRequests).RedirectUriMatched);
    }

    [Fact]
    public async Task Token_CodeRedeemedTwice_SecondAnsweredInvalidGrant()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        var code = await CodeAsync(server, forms, verifier);

        using var first = await RedeemAsync(forms, server, code, RedirectUri, verifier);
        using var second = await RedeemAsync(forms, server, code, RedirectUri, verifier);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("invalid_grant", await ErrorAsync(second));
        Assert.Single(server.IssuedTokens);
    }

    [Fact]
    public async Task Token_RefreshGrant_IssuesNewTokensAndRejectsTheSpentRefreshToken()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        using (var redeemed = await RedeemAsync(forms, server, await CodeAsync(server, forms, verifier), RedirectUri, verifier))
        {
            Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        }

        var refreshToken = server.IssuedTokens[0].RefreshToken;

        using var refreshed = await RefreshAsync(forms, server, refreshToken);
        using var replayed = await RefreshAsync(forms, server, refreshToken);

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        using var tokens = JsonDocument.Parse(await refreshed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(server.IssuedTokens[1].AccessToken, tokens.RootElement.GetProperty("access_token").GetString());
        Assert.NotEqual(server.IssuedTokens[0].AccessToken, server.IssuedTokens[1].AccessToken);
        Assert.Equal("invalid_grant", await ErrorAsync(replayed));
    }

    [Fact]
    public async Task Token_WithoutOpenidScope_IssuesNoIdToken()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        var code = await CodeAsync(server, forms, verifier, scope: "api");

        using var response = await RedeemAsync(forms, server, code, RedirectUri, verifier);

        using var tokens = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.False(tokens.RootElement.TryGetProperty("id_token", out _));
        Assert.Null(Assert.Single(server.IssuedTokens).IdToken);
    }

    [Fact]
    public async Task Knobs_TamperIssOmitCodeAndAuthorizeError_ChangeTheRedirect()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        server.TamperIss = true;
        server.OmitCode = true;

        using (var response = await forms.SignInAsync(server.AuthorizationUrl(RedirectUri, "state", Challenge())))
        {
            var query = Redirected(response);
            Assert.NotEqual(server.Issuer, query["iss"].ToString());
            Assert.False(query.ContainsKey("code"));
        }

        server.AuthorizeError = "server_error";
        using var failed = await forms.Http.GetAsync(server.AuthorizationUrl(RedirectUri, "state", Challenge()), TestContext.Current.CancellationToken);
        Assert.Equal("server_error", Redirected(failed)["error"]);
    }

    [Fact]
    public async Task Knobs_TamperNonceOmitIssAndTokenError_ChangeTheIdTokenTheRedirectAndTheTokenAnswer()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        server.TamperNonce = true;
        server.OmitIss = true;
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        using var redirect = await forms.SignInAsync(server.AuthorizationUrl(RedirectUri, "state", LoopbackAuthorizationServer.CodeChallengeS256(verifier), nonce: "the-nonce"));
        var query = Redirected(redirect);
        Assert.False(query.ContainsKey("iss"));

        using var response = await RedeemAsync(forms, server, query["code"].ToString(), RedirectUri, verifier);
        using var tokens = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var idToken = tokens.RootElement.GetProperty("id_token").GetString()!;
        using var claims = JsonDocument.Parse(WebEncoders.Base64UrlDecode(idToken.Split('.')[1]));
        Assert.NotEqual("the-nonce", claims.RootElement.GetProperty("nonce").GetString());

        server.TokenError = "invalid_grant";
        using var refused = await RefreshAsync(forms, server, server.IssuedTokens[0].RefreshToken);
        Assert.Equal("invalid_grant", await ErrorAsync(refused));
    }

    [Fact]
    public async Task IdToken_IsAnHs256JwtOverItsHeaderAndPayloadWithTheServersKey()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        using var forms = new FormClient(server);
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        var code = await CodeAsync(server, forms, verifier);

        using var response = await RedeemAsync(forms, server, code, RedirectUri, verifier);

        var idToken = Assert.Single(server.IssuedTokens).IdToken!.Split('.');
        Assert.Equal(3, idToken.Length);
        var expected = System.Security.Cryptography.HMACSHA256.HashData(server.IdTokenKey.Span, System.Text.Encoding.ASCII.GetBytes(idToken[0] + "." + idToken[1]));
        Assert.Equal(WebEncoders.Base64UrlEncode(expected), idToken[2]);
    }

    private static string Challenge() => LoopbackAuthorizationServer.CodeChallengeS256(LoopbackAuthorizationServer.NewCodeVerifier());

    private static async Task<string> CodeAsync(LoopbackAuthorizationServer server, FormClient forms, string verifier, string scope = "openid")
    {
        using var response = await forms.SignInAsync(server.AuthorizationUrl(RedirectUri, "state", LoopbackAuthorizationServer.CodeChallengeS256(verifier), scope));
        return Redirected(response)["code"].ToString();
    }

    private static Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Redirected(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(RedirectUri.GetLeftPart(UriPartial.Path), location.GetLeftPart(UriPartial.Path));
        return QueryHelpers.ParseQuery(location.Query);
    }

    private static Task<HttpResponseMessage> RedeemAsync(FormClient forms, LoopbackAuthorizationServer server, string code, Uri redirectUri, string verifier) =>
        forms.Http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = LoopbackAuthorizationServer.ClientId,
            ["code"] = code,
            ["redirect_uri"] = redirectUri.AbsoluteUri,
            ["code_verifier"] = verifier,
        }), TestContext.Current.CancellationToken);

    private static Task<HttpResponseMessage> RefreshAsync(FormClient forms, LoopbackAuthorizationServer server, string refreshToken) =>
        forms.Http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = LoopbackAuthorizationServer.ClientId,
            ["refresh_token"] = refreshToken,
        }), TestContext.Current.CancellationToken);

    private static async Task<string?> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return body.RootElement.GetProperty("error").GetString();
    }
}
