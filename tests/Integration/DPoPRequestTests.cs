using System.Net;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// DPoP on API requests (RFC 9449 §7, §9), asserted on what a proof-verifying API received
/// (<see cref="DPoPApi"/>).
/// </summary>
public sealed class DPoPRequestTests : IDisposable
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;

    private readonly DPoPKey _key = DPoPKey.Create();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task SendAsync_DPoPBoundToken_SendsDPoPAuthorizationAndAProofTheApiVerifies()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        await SignInAsync(host, Access1);

        var response = await host.Client.GetAsync("/data?page=2#top", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(api.Received);
        Assert.Equal("ok", received.Verdict);
        Assert.Equal("DPoP " + Access1, received.Authorization);
        Assert.Equal(host.Api.Url + "/data", received.Proof!.Claim("htu"));
        Assert.Equal("GET", received.Proof.Claim("htm"));
        Assert.Equal(DPoPApi.Ath(Access1), received.Proof.Claim("ath"));
        Assert.Null(received.Proof.Claim("nonce"));
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_TwoRequests_CarryTwoProofsWithDifferentJtis()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        await SignInAsync(host, Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Client.PostAsync("/data", new StringContent("x"), TestContext.Current.CancellationToken);

        Assert.Equal(["ok", "ok"], api.Received.Select(r => r.Verdict));
        Assert.NotEqual(api.Received[0].Proof!.Claim("jti"), api.Received[1].Proof!.Claim("jti"));
        Assert.Equal("POST", api.Received[1].Proof!.Claim("htm"));
    }

    [Fact]
    public async Task DPoPApi_ReplayedProof_IsRejectedWith401()
    {
        // The API's replay check is real: the same proof sent again (not through the handler) is refused.
        await using var host = Start();
        var api = Api(host, Access1);
        await SignInAsync(host, Access1);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var first = api.Received.Single();

        using var raw = new HttpClient();
        using var replay = new HttpRequestMessage(HttpMethod.Get, host.Api.Url + "/data");
        replay.Headers.TryAddWithoutValidation("Authorization", first.Authorization);
        replay.Headers.TryAddWithoutValidation("DPoP", first.RawProof);
        var response = await raw.SendAsync(replay, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("jti replayed", api.Received[1].Verdict);
    }

    [Fact]
    public async Task SendAsync_UseDPoPNonce_ResendsOnceWithTheNonceAndNoRefresh()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.RequiredNonce = "nonce-1";
        await SignInAsync(host, Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, api.Received.Count);
        Assert.Equal(["nonce demanded", "ok"], api.Received.Select(r => r.Verdict));
        Assert.Null(api.Received[0].Proof!.Claim("nonce"));
        Assert.Equal("nonce-1", api.Received[1].Proof!.Claim("nonce"));
        Assert.NotEqual(api.Received[0].Proof!.Claim("jti"), api.Received[1].Proof!.Claim("jti"));
        Assert.Equal(["DPoP " + Access1, "DPoP " + Access1], api.Received.Select(r => r.Authorization));
        Assert.Equal(0, host.TokenCalls);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == 37);
    }

    [Fact]
    public async Task SendAsync_NonceLearnedFromA200_IsInTheNextRequestsProof()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.NonceOnSuccess = "nonce-from-200";
        await SignInAsync(host, Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(2, api.Received.Count);
        Assert.Null(api.Received[0].Proof!.Claim("nonce"));
        Assert.Equal("nonce-from-200", api.Received[1].Proof!.Claim("nonce"));
    }

    [Fact]
    public async Task SendAsync_SecondUseDPoPNonce_IsReturnedToTheCaller()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.AlwaysDemandsANewNonce = true;
        await SignInAsync(host, Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, api.Received.Count);
        Assert.Equal("rotating-1", api.Received[1].Proof!.Claim("nonce"));
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_UseDPoPNonceWithABodyThatCannotBeResent_Returns401AndSendsOnce()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.RequiredNonce = "nonce-1";
        await SignInAsync(host, Access1);

        using var body = new StreamContent(new NonSeekableStream("payload"u8.ToArray()));
        var response = await host.Client.PostAsync("/data", body, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(api.Received);
    }

    [Fact]
    public async Task SendAsync_InvalidTokenOnADPoPToken_RefreshesOnceAndResendsWithANewProofForTheNewToken()
    {
        await using var host = Start();
        var api = Api(host, Access2);
        await SignInAsync(host, Access1);

        // Another process has refreshed: the session's refresh takes its tokens from the store.
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, Bound(host, Access2));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, api.Received.Count);
        Assert.Equal(["DPoP " + Access1, "DPoP " + Access2], api.Received.Select(r => r.Authorization));
        Assert.Equal(["the token is not accepted", "ok"], api.Received.Select(r => r.Verdict));
        Assert.Equal(DPoPApi.Ath(Access2), api.Received[1].Proof!.Claim("ath"));
        Assert.NotEqual(api.Received[0].Proof!.Claim("jti"), api.Received[1].Proof!.Claim("jti"));
    }

    [Fact]
    public async Task SendAsync_RefreshedTokensResendAnsweredUseDPoPNonce_IsSentOnceMoreWithTheNonceAndNotRefreshedAgain()
    {
        // Invariant 7 with DPoP: one refresh re-send and one nonce re-send per request, in either order.
        await using var host = Start();
        var api = Api(host, Access2);
        api.RequiredNonce = "nonce-1";
        await SignInAsync(host, Access1);
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, Bound(host, Access2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["DPoP " + Access1, "DPoP " + Access2, "DPoP " + Access2], api.Received.Select(r => r.Authorization));
        Assert.Equal(["the token is not accepted", "nonce demanded", "ok"], api.Received.Select(r => r.Verdict));
        Assert.Equal("nonce-1", api.Received[2].Proof!.Claim("nonce"));
        Assert.Equal(3, api.Received.Select(r => r.Proof!.Claim("jti")).Distinct().Count());
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_DPoPInvalidTokenBesideABearerInsufficientScope_RefreshesOnTheDPoPChallenge()
    {
        await using var host = Start();
        var api = Api(host, Access1, Access2);
        api.Override = r => r.Authorization == "DPoP " + Access1
            ? DPoPApi.Answer(401, ("WWW-Authenticate", "Bearer error=\"insufficient_scope\", DPoP error=\"invalid_token\""))
            : null;
        await SignInAsync(host, Access1);
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, Bound(host, Access2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["DPoP " + Access1, "DPoP " + Access2], api.Received.Select(r => r.Authorization));
    }

    [Fact]
    public async Task SendAsync_BearerInvalidTokenBesideADPoPInsufficientScope_DoesNotRefreshOrResend()
    {
        await using var host = Start();
        var api = Api(host, Access1, Access2);
        api.Override = _ => DPoPApi.Answer(401, ("WWW-Authenticate", "Bearer error=\"invalid_token\", DPoP error=\"insufficient_scope\""));
        await SignInAsync(host, Access1);
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, Bound(host, Access2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(api.Received);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_BearerTokenAnsweredDPoPUseDPoPNonce_IsNotResent()
    {
        // The nonce round is the DPoP challenge's, for a DPoP-bound token: a bearer token is not re-sent for it.
        await using var host = Start(dpop: false);
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data")).RespondWith(Response.Create().WithStatusCode(401)
            .WithHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", DPoP error=\"use_dpop_nonce\"").WithHeader("DPoP-Nonce", "nonce-1"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(host.Api.LogEntries);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task Redirect_SameOriginHop_GetsItsOwnProofForTheHopsUri()
    {
        await using var host = Start();
        var api = Api(host, Access1, paths: ["/data", "/moved"]);
        api.Override = r => r.Path == "/data" ? DPoPApi.Answer(302, ("Location", "/moved")) : null;
        await SignInAsync(host, Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["ok", "ok"], api.Received.Select(r => r.Verdict));
        Assert.Equal(host.Api.Url + "/moved", api.Received[1].Proof!.Claim("htu"));
        Assert.NotEqual(api.Received[0].Proof!.Claim("jti"), api.Received[1].Proof!.Claim("jti"));
    }

    [Fact]
    public async Task Redirect_ToAnotherOrigin_HopCarriesNeitherTokenNorProof()
    {
        using var foreign = WireMock.Server.WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/elsewhere")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = Start();
        var api = Api(host, Access1);
        api.Override = _ => DPoPApi.Answer(302, ("Location", foreign.Url + "/elsewhere"));
        await SignInAsync(host, Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", api.Received.Single().Verdict);
        var headers = foreign.LogEntries.Single().RequestMessage.Headers!;
        Assert.DoesNotContain(headers.Keys, k => k.Equals("DPoP", StringComparison.OrdinalIgnoreCase));
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
    }

    [Fact]
    public async Task SendAsync_AppHandlerAbove_SeesNeitherTokenNorProofOnTheWayBack()
    {
        var sends = new List<HeaderRecordingHandler.RecordedSend>();
        await using var host = Start(clientAfterHandler: c => c.AddHttpMessageHandler(() => new HeaderRecordingHandler(sends)));
        var api = Api(host, Access1);
        api.RequiredNonce = "nonce-1";
        await SignInAsync(host, Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(2, api.Received.Count);
        var send = Assert.Single(sends);
        Assert.DoesNotContain(send.Down.Keys.Concat(send.Up.Keys), k => k.Equals("DPoP", StringComparison.OrdinalIgnoreCase) || k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SendAsync_NonceRound_LogsNeitherTheKeyNorAProof()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.RequiredNonce = "nonce-1";
        await SignInAsync(host, Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var storedKey = _key.ExportPrivateKey();
        var proofs = api.Received.Select(r => r.RawProof!).ToList();
        Assert.All(host.Logs.GetSnapshot(), record =>
        {
            var text = record.Message + " " + record.Exception + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []);
            Assert.DoesNotContain(storedKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(proofs, p => text.Contains(p.Split('.')[2], StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task SendAsync_StoredDPoPKeyDoesNotImport_SendsNothing()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        var now = host.Time.GetUtcNow();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(Access1, now.AddHours(1))
        {
            TokenType = "DPoP",
            RefreshToken = "rt-1-" + AuthTestHost.SecretMarker,
            IssuedAt = now,
            DPoPKey = "AAAA",
        });

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(api.Received);
        Assert.Empty(host.Api.LogEntries);
        await Assert.ThrowsAsync<SignInRequiredException>(async () => await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetAccessTokenAsync_DPoPBoundToken_SchemeIsDPoP()
    {
        await using var host = Start();
        await SignInAsync(host, Access1);

        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal("DPoP", token.Scheme);
        Assert.Equal(Access1, token.Value);
    }

    [Fact]
    public async Task CreateDPoPProof_TwoRequestsOutsideTheHandler_BothVerifyAtTheApiWithTheirOwnJti()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        await SignInAsync(host, Access1);
        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        var target = new Uri(host.Api.Url + "/data?page=2");

        using var raw = new HttpClient();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            request.Headers.TryAddWithoutValidation("Authorization", $"{token.Scheme} {token.Value}");
            request.Headers.TryAddWithoutValidation("DPoP", token.CreateDPoPProof(HttpMethod.Get, target));
            using var response = await raw.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(api.Received, r => Assert.Equal("ok", r.Verdict));
        Assert.Equal(host.Api.Url + "/data", api.Received[0].Proof!.Claim("htu"));
        Assert.NotEqual(api.Received[0].Proof!.Claim("jti"), api.Received[1].Proof!.Claim("jti"));
    }

    [Fact]
    public async Task CreateDPoPProof_ApiDemandsANonce_ProofWithTheGivenNonceIsAccepted()
    {
        await using var host = Start();
        var api = Api(host, Access1);
        api.RequiredNonce = "n-outside-1";
        await SignInAsync(host, Access1);
        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        var target = new Uri(host.Api.Url + "/data");

        using var raw = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.TryAddWithoutValidation("Authorization", $"DPoP {token.Value}");
        request.Headers.TryAddWithoutValidation("DPoP", token.CreateDPoPProof(HttpMethod.Get, target, "n-outside-1"));
        using var response = await raw.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("n-outside-1", api.Received.Single().Proof!.Claim("nonce"));
    }

    [Fact]
    public async Task CreateDPoPProof_BearerTokenOrAppMadeToken_ReturnsNull()
    {
        await using var host = Start(dpop: false);
        await host.SeedAsync(Access1);
        var bearer = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        var target = new Uri("https://api.example.com/data");

        Assert.Null(bearer.CreateDPoPProof(HttpMethod.Get, target));
        Assert.Null(new AccessToken("t", "DPoP", DateTimeOffset.UnixEpoch).CreateDPoPProof(HttpMethod.Get, target));
        Assert.Throws<ArgumentException>(() => bearer.CreateDPoPProof(HttpMethod.Get, new Uri("/relative", UriKind.Relative)));
        Assert.Throws<ArgumentException>(() => bearer.CreateDPoPProof(HttpMethod.Get, target, "bad\nnonce"));
    }

    [Fact]
    public async Task SendAsync_BearerTokenWithDPoPOff_SendsBearerAndNoDPoPHeader()
    {
        // With DPoP on, stored tokens without a key need a new sign-in (StoreReader.CheckDPoP, the token-endpoint side).
        await using var host = Start(dpop: false);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.Equal("Bearer " + Access1, headers["Authorization"].Single());
        Assert.DoesNotContain(headers.Keys, k => k.Equals("DPoP", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SetTokensAsync_DPoPTokenWithDPoPOff_IsRefused()
    {
        await using var host = Start(dpop: false);

        await Assert.ThrowsAsync<ArgumentException>(() => host.Session.SetTokensAsync(Bound(host, Access1), TestContext.Current.CancellationToken));
    }

    private static AuthTestHost Start(bool dpop = true, Action<IHttpClientBuilder>? clientAfterHandler = null) =>
        AuthTestHost.Start(o => o.DPoP.Enabled = dpop, clientAfterHandler: clientAfterHandler);

    private DPoPApi Api(AuthTestHost host, string accepted, string? alsoAccepted = null, string[]? paths = null)
    {
        var api = new DPoPApi(host.Api, host.Time, _key.Thumbprint, paths ?? ["/data"]);
        api.AcceptedTokens.Add(accepted);
        if (alsoAccepted is not null)
        {
            api.AcceptedTokens.Add(alsoAccepted);
        }

        return api;
    }

    private Task SignInAsync(AuthTestHost host, string accessToken) =>
        host.Session.SetTokensAsync(Bound(host, accessToken), TestContext.Current.CancellationToken);

    private TokenSet Bound(AuthTestHost host, string accessToken)
    {
        var now = host.Time.GetUtcNow();
        return new TokenSet(accessToken, now.AddHours(1))
        {
            TokenType = "DPoP",
            RefreshToken = "rt-1-" + AuthTestHost.SecretMarker,
            IssuedAt = now,
            DPoPKey = _key.ExportPrivateKey(),
        };
    }

    /// <summary>A body that can be read once: the handler must not send it again.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
