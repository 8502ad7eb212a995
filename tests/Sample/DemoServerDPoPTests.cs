using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ApiClient.Demo;
using AuthHandler.Protocol.DPoP.Internal;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// The demo's embedded server as a DPoP resource and authorization server (RFC 9449), spoken to
/// directly with an HttpClient and proofs made by the library's own proof writer: what it accepts
/// and what it refuses. Each refusal test also makes the accepted request, so none passes vacuously.
/// </summary>
public sealed class DemoServerDPoPTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private readonly DPoPKey _key = DPoPKey.Create();
    private DemoServer _server = null!;
    private DPoPProofWriter _proofs = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await DemoServer.StartAsync(new DemoServerSettings { ApprovalDelay = TimeSpan.Zero }, TimeProvider.System, TestContext.Current.CancellationToken);
        _proofs = new DPoPProofWriter(_key, TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _key.Dispose();
        await _server.DisposeAsync();
    }

    private Uri TokenUri => new(_server.BaseAddress, "token");

    private Uri ApiUri => new(_server.BaseAddress, DemoServer.ApiPath);

    [Fact]
    public async Task Discovery_AdvertisesES256AsTheOnlyDPoPSigningAlgorithm()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri(_server.BaseAddress, ".well-known/oauth-authorization-server"), TestContext.Current.CancellationToken));

        Assert.Equal(["ES256"], document.RootElement.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task TokenRequest_WithAValidProof_AnswersTokenTypeDPoPBoundToTheKeysThumbprint()
    {
        var (tokenType, _) = await SignInAsync(withProof: true);

        Assert.Equal("DPoP", tokenType);
        Assert.Equal(_key.Thumbprint, _server.LastBoundThumbprint);
    }

    [Fact]
    public async Task TokenRequest_WithoutAProof_AnswersTokenTypeBearer()
    {
        var (tokenType, _) = await SignInAsync(withProof: false);

        Assert.Equal("Bearer", tokenType);
        Assert.Null(_server.LastBoundThumbprint);
    }

    [Fact]
    public async Task TokenRequest_ProofForAnotherUrl_Refused400InvalidDPoPProof()
    {
        var deviceCode = await DeviceCodeAsync();
        using var request = TokenRequest(deviceCode, _proofs.CreateProof(HttpMethod.Post, new Uri(_server.BaseAddress, "elsewhere")));

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_dpop_proof", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_BoundTokenSentAsBearer_Refused401WithDPoPInvalidToken()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);

        using var bearer = await GetApiAsync("Bearer", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken, await NonceAsync(accessToken)));
        using var accepted = await GetApiAsync("DPoP", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken, await NonceAsync(accessToken)));

        AssertRefusedAsInvalidToken(bearer);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Api_BoundTokenWithoutAProof_Refused401WithDPoPInvalidToken()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);

        using var noProof = await GetApiAsync("DPoP", accessToken, proof: null);
        using var accepted = await GetApiAsync("DPoP", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken, await NonceAsync(accessToken)));

        AssertRefusedAsInvalidToken(noProof);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Api_ProofByAnotherKey_Refused401WithDPoPInvalidToken()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);
        using var otherKey = DPoPKey.Create();
        var nonce = await NonceAsync(accessToken);

        using var response = await GetApiAsync("DPoP", accessToken, new DPoPProofWriter(otherKey, TimeProvider.System).CreateProof(HttpMethod.Get, ApiUri, accessToken, nonce));

        AssertRefusedAsInvalidToken(response);
    }

    [Fact]
    public async Task Api_ProofWithoutAth_Refused401WithDPoPInvalidToken()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);
        var nonce = await NonceAsync(accessToken);

        using var response = await GetApiAsync("DPoP", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken: null, nonce));

        AssertRefusedAsInvalidToken(response);
    }

    [Fact]
    public async Task Api_ReplayedProof_Refused401WithDPoPInvalidToken()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);
        var proof = _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken, await NonceAsync(accessToken));

        using var first = await GetApiAsync("DPoP", accessToken, proof);
        using var replay = await GetApiAsync("DPoP", accessToken, proof);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        AssertRefusedAsInvalidToken(replay);
    }

    [Fact]
    public async Task Api_ProofWithoutTheNonce_Answered401UseDPoPNonceWithTheNonceInDPoPNonce()
    {
        var (_, accessToken) = await SignInAsync(withProof: true);

        using var response = await GetApiAsync("DPoP", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("DPoP error=\"use_dpop_nonce\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.True(response.Headers.TryGetValues("DPoP-Nonce", out var nonce) && nonce.Single().Length > 0);
        Assert.Equal(1, _server.NonceChallenges);
    }

    private static void AssertRefusedAsInvalidToken(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The nonce the API asks for: from its answer to a proof without one.</summary>
    private async Task<string> NonceAsync(string accessToken)
    {
        using var response = await GetApiAsync("DPoP", accessToken, _proofs.CreateProof(HttpMethod.Get, ApiUri, accessToken));
        return response.Headers.GetValues("DPoP-Nonce").Single();
    }

    private async Task<HttpResponseMessage> GetApiAsync(string scheme, string accessToken, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiUri);
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, accessToken);
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private async Task<string> DeviceCodeAsync()
    {
        using var response = await _http.PostAsync(new Uri(_server.BaseAddress, "device"), new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = DemoServer.ClientId }), TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.GetProperty("device_code").GetString()!;
    }

    private HttpRequestMessage TokenRequest(string deviceCode, string? proof)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, TokenUri)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code",
                ["device_code"] = deviceCode,
                ["client_id"] = DemoServer.ClientId,
            }),
        };
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        return request;
    }

    /// <summary>The device flow, approved at once (ApprovalDelay zero): the token type and access token.</summary>
    private async Task<(string TokenType, string AccessToken)> SignInAsync(bool withProof)
    {
        var deviceCode = await DeviceCodeAsync();
        using var request = TokenRequest(deviceCode, withProof ? _proofs.CreateProof(HttpMethod.Post, TokenUri) : null);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var document = JsonDocument.Parse(body);
        return (document.RootElement.GetProperty("token_type").GetString()!, document.RootElement.GetProperty("access_token").GetString()!);
    }
}
