using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The access token for callers outside <see cref="HttpClient"/> (gRPC, SignalR, WebSockets):
/// the handler's rules, checked on what the token endpoint and the API received.
/// </summary>
public sealed class AccessTokenTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    private static MetricCollector<long> Joins(AuthTestHost host) =>
        new(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.joins");

    /// <summary>Reads the store once, so that the joins counted afterwards are those of the refresh under test.</summary>
    private static async Task<AccessToken> FirstTokenAsync(AuthTestHost host)
    {
        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        return token;
    }

    [Fact]
    public async Task GetRequiredKeyedService_IDeviceAuthSession_IsTheClientsDeviceAuthSession()
    {
        await using var host = AuthTestHost.Start();

        var session = host.Provider.GetRequiredKeyedService<IDeviceAuthSession>(AuthTestHost.ClientName);

        Assert.Same(host.Session, session);
    }

    [Fact]
    public async Task GetAccessTokenAsync_FreshToken_ReturnsItWithoutCallingTheTokenEndpoint()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);

        var first = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        var second = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Access1, first.Value);
        Assert.Equal("Bearer", first.Scheme);
        Assert.Equal(host.Time.GetUtcNow().AddHours(1), first.ExpiresAt);
        Assert.Same(first, second);
        Assert.Empty(host.Idp.LogEntries);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task GetAccessTokenAsync_AuthorizationSchemeSet_ReturnsThatScheme()
    {
        await using var host = AuthTestHost.Start(o => o.AuthorizationScheme = "Token");
        await host.SeedAsync(Access1);

        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal("Token", token.Scheme);
        Assert.Equal(Access1, token.Value);
    }

    [Fact]
    public async Task GetAccessTokenAsync_InsideRefreshWindow_ReturnsCurrentTokenAndRefreshesOnceInBackground()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        await FirstTokenAsync(host);

        // 4 minutes before expiry: inside the 5-minute window, outside the 30 s skew. All twenty
        // complete while the token endpoint holds the refresh they started: none waited for it.
        host.Time.Advance(TimeSpan.FromMinutes(56));
        var during = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask()))
            .WaitAsync(HeldTokenEndpoint.Patience, TestContext.Current.CancellationToken);
        await tokenEndpoint.WaitUntilReachedAsync();
        Assert.False(host.Session.WhenRefreshCompleted().IsCompleted, "the background refresh is still held");
        tokenEndpoint.Release();
        await host.Session.WhenRefreshCompleted();
        var after = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.All(during, t => Assert.Equal(Access1, t.Value));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(Access2, after.Value);
    }

    [Fact]
    public async Task GetAccessTokenAsync_ExpiredWith50CallersAnd50Requests_AllWaitForOneRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        await FirstTokenAsync(host);
        using var joins = Joins(host);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;

        var tokens = Enumerable.Range(0, 50).Select(_ => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask()).ToList();
        var requests = Enumerable.Range(0, 50).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(99, HeldTokenEndpoint.Patience);
        Assert.DoesNotContain(tokens, t => t.IsCompleted);
        tokenEndpoint.Release();

        Assert.All(await Task.WhenAll(tokens), t => Assert.Equal(Access2, t.Value));
        Assert.All(await Task.WhenAll(requests), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(50, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access2, e.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task GetAccessTokenAsync_NoTokensStored_ThrowsSignInRequiredWithNoTokens()
    {
        await using var host = AuthTestHost.Start();

        var ex = await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(SignInRequiredReason.NoTokens, ex.Reason);
        Assert.Equal(AuthTestHost.ClientName, ex.ClientName);
        Assert.Empty(host.Idp.LogEntries);
    }

    [Fact]
    public async Task GetAccessTokenAsync_RefreshRejected_ThrowsSignInRequiredWithRefreshRejectedAndSignalsOnce()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        await FirstTokenAsync(host);
        var signals = new List<SignInRequiredEventArgs>();
        host.Session.SignInRequired += (_, args) => { lock (signals) { signals.Add(args); } };
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask());
        var again = await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(SignInRequiredReason.RefreshRejected, ex.Reason);
        Assert.Equal(SignInRequiredReason.RefreshRejected, again.Reason);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SignInRequiredReason.RefreshRejected, Assert.Single(signals).Reason);
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
    }

    [Fact]
    public async Task GetAccessTokenAsync_TransientFailureWhileTheStoredTokenIsValid_ReturnsTheStoredToken()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(new { error = "temporarily_unavailable" }, 400);

        // 20 s before expiry, inside the skew: the first read of the store must refresh, and the
        // server fails; the stored token still works at the API for 20 s.
        host.Time.Advance(TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(40));
        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Access1, token.Value);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task GetAccessTokenAsync_TransientFailureAfterExpiry_ThrowsTransientTokenEndpointException()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { error = "temporarily_unavailable" }, 400);
        await FirstTokenAsync(host);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.True(ex.IsTransient);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task GetAccessTokenAsync_SignInOnDemandWithoutTokens_SignsInWithTheDeviceFlow()
    {
        var prompts = 0;
        await using var host = AuthTestHost.Start(o =>
        {
            o.SignInOnDemand = true;
            o.OnDeviceCode = _ =>
            {
                Interlocked.Increment(ref prompts);
                return ValueTask.CompletedTask;
            };
        });
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh2));

        var token = host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask();
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        host.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(Access1, (await token).Value);
        Assert.Equal(1, prompts);
        Assert.Single(host.Idp.LogEntries, e => e.RequestMessage.Path == "/device");
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_50CallersReportTheSameToken_OneRefreshAndAllGetTheNewToken()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        var rejected = await FirstTokenAsync(host);
        using var joins = Joins(host);

        var calls = Enumerable.Range(0, 50).Select(_ => host.Session.RefreshAccessTokenAsync(rejected, TestContext.Current.CancellationToken).AsTask()).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(49, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();
        var replacements = await Task.WhenAll(calls);

        // A caller that reports the old token after the refresh gets the new one, with no refresh.
        var late = await host.Session.RefreshAccessTokenAsync(rejected, TestContext.Current.CancellationToken);

        Assert.All(replacements, t => Assert.Equal(Access2, t.Value));
        Assert.Equal(Access2, late.Value);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(49, joins.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_ReportedWhileRequestsGet401_OneRefreshForBoth()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        var rejected = await FirstTokenAsync(host);
        using var joins = Joins(host);
        var client = host.Client;

        var requests = Enumerable.Range(0, 10).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        var reports = Enumerable.Range(0, 10).Select(_ => host.Session.RefreshAccessTokenAsync(rejected, TestContext.Current.CancellationToken).AsTask()).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(19, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();

        Assert.All(await Task.WhenAll(requests), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(await Task.WhenAll(reports), t => Assert.Equal(Access2, t.Value));
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_AppMadeTokenWithTheCurrentValue_RefreshesIt()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        await FirstTokenAsync(host);

        var replacement = await host.Session.RefreshAccessTokenAsync(new AccessToken(Access1, "Bearer", DateTimeOffset.MaxValue), TestContext.Current.CancellationToken);

        Assert.Equal(Access2, replacement.Value);
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_AppMadeTokenWithAnotherValue_ReturnsTheCurrentTokenWithoutRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        await FirstTokenAsync(host);

        var current = await host.Session.RefreshAccessTokenAsync(new AccessToken("at-0-" + AuthTestHost.SecretMarker, "Bearer", DateTimeOffset.MaxValue), TestContext.Current.CancellationToken);

        Assert.Equal(Access1, current.Value);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_RefreshRejected_ThrowsSignInRequiredWithRefreshRejected()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        var rejected = await FirstTokenAsync(host);

        var ex = await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.RefreshAccessTokenAsync(rejected, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(SignInRequiredReason.RefreshRejected, ex.Reason);
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task RefreshAccessTokenAsync_NoRefreshToken_ThrowsSignInRequiredWithNoRefreshToken()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, refreshToken: null);
        var rejected = await FirstTokenAsync(host);

        var ex = await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.RefreshAccessTokenAsync(rejected, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(SignInRequiredReason.NoRefreshToken, ex.Reason);
        Assert.Empty(host.Idp.LogEntries);
    }

    [Fact]
    public async Task ToString_AccessToken_ShowsNoTokenValue()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);

        var token = await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.DoesNotContain(AuthTestHost.SecretMarker, token.ToString(), StringComparison.Ordinal);
        Assert.Contains("Bearer", token.ToString(), StringComparison.Ordinal);
    }
}
