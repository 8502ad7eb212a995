using System.Text.Json;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// DPoP on the token endpoint (RFC 9449 §5, §8), against a server that verifies every proof and
/// binds the grant to the sign-in's key (<see cref="DPoPTokenEndpoint"/>). Every assertion is on
/// what the server received.
/// </summary>
public sealed class DPoPTokenEndpointTests
{
    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_DPoPOn_EachPollCarriesANewVerifiedProofAndTheFileRecordHoldsTheBoundKey()
    {
        await using var host = StartDPoP(fileStore: true);
        var server = Serve(host);
        server.PendingPolls = 1;

        await SignInAsync(host, TestContext.Current.CancellationToken, polls: 2);

        var polls = server.Requests;
        Assert.Equal(2, polls.Count);
        Assert.All(polls, p => Assert.NotNull(p.Proof));
        Assert.All(polls, p => Assert.Null(p.Refusal));
        Assert.NotEqual(polls[0].Jti, polls[1].Jti);
        Assert.Equal(polls[0].Thumbprint, polls[1].Thumbprint);
        var stored = await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal("DPoP", stored!.TokenType);
        Assert.True(DPoPKey.TryImport(stored.DPoPKey, out var key, out _));
        using (key)
        {
            Assert.Equal(server.BoundThumbprint, key.Thumbprint);
        }

        Assert.Contains("\"dpop_key\"", await File.ReadAllTextAsync(TokenFile(host), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_TwoAttempts_EachAttemptHasItsOwnKey()
    {
        await using var host = StartDPoP();
        var server = Serve(host);

        await SignInAsync(host, TestContext.Current.CancellationToken);
        await SignInAsync(host, TestContext.Current.CancellationToken);

        var thumbprints = server.Requests.Select(r => r.Thumbprint).ToList();
        Assert.Equal(2, thumbprints.Count);
        Assert.NotEqual(thumbprints[0], thumbprints[1]);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Refresh_DPoPOn_ProofVerifiesWithTheKeyTheGrantIsBoundTo(bool fileStore)
    {
        await using var host = StartDPoP(fileStore: fileStore);
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        host.Time.Advance(TimeSpan.FromHours(1));

        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(DPoPTokenEndpoint.AccessToken(2), token.Value);
        var refresh = server.Requests[1];
        Assert.Equal("refresh_token", refresh.GrantType);
        Assert.Null(refresh.Refusal);
        Assert.Equal(server.BoundThumbprint, refresh.Thumbprint);
        var stored = fileStore ? await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken) : await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(2), stored!.RefreshToken);
        Assert.NotNull(stored.DPoPKey);
    }

    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_ServerAsksForANonce_SendsOnceMoreWithThatNonceAndTheServerSawTwoRequests()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        server.RequiredNonce = "nonce-1";

        await SignInAsync(host, TestContext.Current.CancellationToken);

        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Nonce);
        Assert.Equal("nonce-1", requests[1].Nonce);
        Assert.NotEqual(requests[0].Jti, requests[1].Jti);
        Assert.Null(requests[1].Refusal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_ServerAsksForANonce_PresentsTheRefreshTokenOnceMoreWithTheNonce()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        server.RequiredNonce = "nonce-2";
        host.Time.Advance(TimeSpan.FromHours(1));

        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(DPoPTokenEndpoint.AccessToken(2), token.Value);
        var refreshes = server.Requests.Skip(1).ToList();
        Assert.Equal(2, refreshes.Count);
        Assert.All(refreshes, r => Assert.Equal(DPoPTokenEndpoint.RefreshToken(1), r.RefreshToken));
        Assert.Equal([null, "nonce-2"], refreshes.Select(r => r.Nonce));
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_ServerAsksForANonceTwice_FailsTransientlyAfterTwoRequestsAndKeepsTheTokens()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        server.RequiredNonce = "nonce-3";
        server.AlwaysDemandNonce = true;
        host.Time.Advance(TimeSpan.FromHours(1));

        var failure = await Assert.ThrowsAsync<TokenEndpointException>(async () => await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.Transient, failure.Failure);
        Assert.Equal("use_dpop_nonce", failure.Error);
        Assert.Equal(3, server.Requests.Count);
        var stored = await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(1), stored!.RefreshToken);
        Assert.NotNull(stored.DPoPKey);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_NonceOnTheSignInsAnswer_TheNextProofCarriesIt()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        server.NonceOnSuccess = "nonce-from-200";
        await SignInAsync(host, TestContext.Current.CancellationToken);
        host.Time.Advance(TimeSpan.FromHours(1));

        await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Null(server.Requests[0].Nonce);
        Assert.Equal("nonce-from-200", server.Requests[1].Nonce);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_503ThenSuccess_TheRetryCarriesANewJtiAndBothProofsVerify()
    {
        await using var host = StartDPoP(o => o.BackchannelMaxRetryAttempts = 1);
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        server.AnswerFirst(503);
        host.Time.Advance(TimeSpan.FromHours(1));

        var token = host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask();
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await token;

        var attempts = server.Requests.Skip(1).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.NotNull(a.Proof));
        Assert.NotEqual(attempts[0].Jti, attempts[1].Jti);
        Assert.NotEqual(attempts[0].RawProof, attempts[1].RawProof);
        Assert.Null(attempts[1].Refusal);
        Assert.Equal(2, attempts[1].Issued);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("not base64url!")]
    [InlineData("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg")]
    public async Task Refresh_CorruptedKeyInTheFileStore_SignInRequiredAndTheTokenEndpointReceivedNothing(string corrupted)
    {
        await using var host = StartDPoP(fileStore: true);
        var server = Serve(host);
        host.AddSecret(corrupted);
        var now = host.Time.GetUtcNow();
        await AuthTestHost.WriteAsync(host.FileStore, host.Session.StoreKey, new TokenSet(DPoPTokenEndpoint.AccessToken(1), now.AddMinutes(-1))
        {
            TokenType = "DPoP",
            RefreshToken = DPoPTokenEndpoint.RefreshToken(1),
            IssuedAt = now.AddHours(-1),
            DPoPKey = corrupted,
        });

        var failure = await Assert.ThrowsAsync<SignInRequiredException>(async () => await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken));

        Assert.Equal(SignInRequiredReason.TokenStoreUnreadable, failure.Reason);
        Assert.Empty(server.Requests);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(1), (await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 54);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_DPoPBoundTokensWhileDPoPIsOff_SignInRequiredDPoPSettingChangedAndNothingSent()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        var server = Serve(host);
        var now = host.Time.GetUtcNow();
        using var key = DPoPKey.Create();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(DPoPTokenEndpoint.AccessToken(1), now.AddHours(1))
        {
            TokenType = "DPoP",
            RefreshToken = DPoPTokenEndpoint.RefreshToken(1),
            IssuedAt = now,
            DPoPKey = key.ExportPrivateKey(),
        });

        var failure = await Assert.ThrowsAsync<SignInRequiredException>(async () => await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken));

        Assert.Equal(SignInRequiredReason.DPoPSettingChanged, failure.Reason);
        Assert.Equal(0, host.TokenCalls);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 55);
    }

    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_ServerAnswersBearerToAProof_FailsWithInvalidResponseAndStoresNothing()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        server.TokenType = "Bearer";

        var failure = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => SignInAsync(host, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, failure.Failure);
        Assert.Contains("ignored the DPoP proof", failure.Message, StringComparison.Ordinal);
        Assert.Equal(TokenEndpointFailure.InvalidResponse, Assert.IsType<TokenEndpointException>(failure.InnerException).Failure);
        Assert.Single(server.Requests);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_ServerAnswersBearerToAProof_TypedFailureKeepsTheAccessTokenAndTheIssuedRefreshToken()
    {
        await using var host = StartDPoP();
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        server.TokenType = "bearer";
        host.Time.Advance(TimeSpan.FromHours(1));

        var failure = await Assert.ThrowsAsync<TokenEndpointException>(async () => await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.InvalidResponse, failure.Failure);
        Assert.Contains("ignored the DPoP proof", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
        var stored = await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(DPoPTokenEndpoint.AccessToken(1), stored!.AccessToken);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(2), stored.RefreshToken);
        Assert.Equal("DPoP", stored.TokenType);
        Assert.NotNull(stored.DPoPKey);
    }

    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_DPoPOffAndServerAnswersDPoP_FailsNamingDPoPEnabled()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        var server = Serve(host);
        server.RequireProof = false;
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode(interval: 5));

        var failure = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => SignInAsync(host, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, failure.Failure);
        Assert.Contains("DPoP.Enabled", failure.Message, StringComparison.Ordinal);
        Assert.Null(Assert.Single(server.Requests).RawProof);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task SignOutAsync_DPoPSignIn_TheSignOutRecordHoldsNoKey()
    {
        await using var host = StartDPoP(fileStore: true);
        Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        var key = (await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.DPoPKey!;
        host.AddSecret(key);

        await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        var record = await File.ReadAllTextAsync(TokenFile(host), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(key, record, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(record);
        Assert.False(json.RootElement.TryGetProperty("dpop_key", out var stored) && stored.ValueKind != JsonValueKind.Null);
    }

    [Fact(Timeout = 30_000)]
    public async Task SignInAsync_DiscoveryListsNoES256_FailsNamingWhatTheServerSupportsAndSendsNoTokenRequest()
    {
        await using var host = StartDPoP(o =>
        {
            o.TokenEndpoint = null;
            o.DeviceAuthorizationEndpoint = null;
        });
        host.Idp.Given(Request.Create().WithPath("/.well-known/oauth-authorization-server").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new
        {
            issuer = host.Idp.Url,
            token_endpoint = host.Idp.Url + "/token",
            device_authorization_endpoint = host.Idp.Url + "/device",
            dpop_signing_alg_values_supported = new[] { "PS256", "EdDSA" },
        }));
        var server = Serve(host);

        var failure = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.Rejected, failure.Failure);
        Assert.Contains("PS256, EdDSA", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ES256", failure.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        Assert.Equal(0, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SignInAsync_DiscoveryListsES256OrNoAlgorithms_SignsInWithAVerifiedProof(bool listed)
    {
        await using var host = StartDPoP(o =>
        {
            o.TokenEndpoint = null;
            o.DeviceAuthorizationEndpoint = null;
        });
        host.Idp.Given(Request.Create().WithPath("/.well-known/oauth-authorization-server").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new
        {
            issuer = host.Idp.Url,
            token_endpoint = host.Idp.Url + "/token",
            device_authorization_endpoint = host.Idp.Url + "/device",
            dpop_signing_alg_values_supported = listed ? new[] { "PS256", "ES256" } : null,
        }));
        var server = Serve(host);

        await SignInAsync(host, TestContext.Current.CancellationToken);

        var poll = Assert.Single(server.Requests);
        Assert.NotNull(poll.Proof);
        Assert.Null(poll.Refusal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_TwoSessionsOnOneFileStore_OneRefreshWithTheSignInKeyAndTheOtherAdoptsIt()
    {
        await using var host = StartDPoP(fileStore: true);
        var server = Serve(host);
        await SignInAsync(host, TestContext.Current.CancellationToken);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(host.Time);
        services.AddDeviceAuthSession(AuthTestHost.ClientName, o =>
        {
            o.Authority = host.Idp.Url;
            o.ClientId = AuthTestHost.ClientId;
            o.TokenEndpoint = host.TokenEndpoint;
            o.DeviceAuthorizationEndpoint = host.DeviceEndpoint;
            o.StorageDirectory = host.Directory;
            o.BackchannelMaxRetryAttempts = 0;
            o.DPoP.Enabled = true;
        });
        await using var other = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var otherSession = other.GetRequiredKeyedService<DeviceAuthSession>(AuthTestHost.ClientName);
        host.Time.Advance(TimeSpan.FromHours(1));

        var refreshed = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        var adopted = await otherSession.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(DPoPTokenEndpoint.AccessToken(2), refreshed.Value);
        Assert.Equal(DPoPTokenEndpoint.AccessToken(2), adopted.Value);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(server.BoundThumbprint, server.Requests[1].Thumbprint);
    }

    private static AuthTestHost StartDPoP(Action<DeviceAuthOptions>? configure = null, bool fileStore = false)
    {
        var host = AuthTestHost.Start(
            o =>
            {
                o.DPoP.Enabled = true;
                o.BackchannelMaxRetryAttempts = 0;
                configure?.Invoke(o);
            },
            fileStore: fileStore);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode(interval: 5));
        return host;
    }

    private static DPoPTokenEndpoint Serve(AuthTestHost host) => DPoPTokenEndpoint.Start(host.Idp, host.TokenEndpoint, host.Time);

    /// <summary>Signs in, moving the clock by exactly each poll interval once the flow is parked on it.</summary>
    private static async Task SignInAsync(AuthTestHost host, CancellationToken cancellationToken, int polls = 1)
    {
        var interval = TimeSpan.FromSeconds(5);
        var before = host.Time.StartedTimers.Count(t => t == interval);
        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, cancellationToken);
        for (var i = 1; i <= polls; i++)
        {
            var parked = host.Time.WaitForTimerAsync(interval, before + i);
            if (await Task.WhenAny(signIn, parked) == signIn)
            {
                await signIn;
                Assert.Fail("The sign-in ended before it polled.");
            }

            host.Time.Advance(interval);
        }

        await signIn;
    }

    private static string TokenFile(AuthTestHost host) => Assert.Single(Directory.GetFiles(host.Directory, "tokens-*.json"));
}
