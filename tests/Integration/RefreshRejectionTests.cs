using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthHandler.Tests.Integration;

public sealed class RefreshRejectionTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    private static MetricCollector<long> Joins(AuthTestHost host) =>
        new(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.joins");

    /// <summary>
    /// Sends <paramref name="count"/> requests that all get a 401 and holds the rejection until all
    /// of them wait on the one refresh (one starts it, the others join it), then lets it answer.
    /// </summary>
    private static async Task<List<Task<HttpResponseMessage>>> AllWaitOnTheRejectedRefreshAsync(AuthTestHost host, HeldTokenEndpoint tokenEndpoint, int count)
    {
        // The session reads the store first, so that the joins counted below are the refresh's.
        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();
        using var joins = Joins(host);
        var client = host.Client;

        var calls = Enumerable.Range(0, count).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(count - 1, HeldTokenEndpoint.Patience);
        Assert.Equal(1, tokenEndpoint.Calls);
        tokenEndpoint.Release();
        return calls;
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    public async Task SendAsync_InvalidGrantWithAnyStatus_SignsOutAndSignalsOnce(int status)
    {
        var callbacks = 0;
        await using var host = AuthTestHost.Start(o => o.OnSignInRequired = _ =>
        {
            Interlocked.Increment(ref callbacks);
            return ValueTask.CompletedTask;
        });
        await host.SeedAsync(Access1);
        host.ApiAccepts("never");
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, new { error = "invalid_grant", error_description = "refresh token revoked" }, status);
        var signals = new List<SignInRequiredEventArgs>();
        host.Session.SignInRequired += (_, args) => { lock (signals) { signals.Add(args); } };
        var client = host.Client;

        var responses = await Task.WhenAll(await AllWaitOnTheRejectedRefreshAsync(host, tokenEndpoint, 50));
        await host.Session.WhenRefreshCompleted();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        var signal = Assert.Single(signals);
        Assert.Equal(SignInRequiredReason.RefreshRejected, signal.Reason);
        Assert.Equal("invalid_grant", signal.Error);
        Assert.Equal(AuthTestHost.ClientName, signal.ClientName);
        Assert.Equal(1, Volatile.Read(ref callbacks));
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));

        // Signed out: the next request fails fast, with no token-endpoint call and no API call.
        var apiCalls = host.Api.LogEntries.Count;
        var next = await client.GetAsync("/data", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(apiCalls, host.Api.LogEntries.Count);
        Assert.Single(signals);
    }

    [Fact]
    public async Task SendAsync_InvalidGrantInThrowMode_AllWaitersGetTypedException()
    {
        await using var host = AuthTestHost.Start(o => o.SignInRequiredBehavior = SignInRequiredBehavior.ThrowException);
        await host.SeedAsync(Access1);
        host.ApiAccepts("never");
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, new { error = "invalid_grant" }, 400);
        var client = host.Client;

        var attempts = await AllWaitOnTheRejectedRefreshAsync(host, tokenEndpoint, 50);

        foreach (var attempt in attempts)
        {
            var ex = await Assert.ThrowsAsync<SignInRequiredException>(() => attempt);
            Assert.Equal(SignInRequiredReason.RefreshRejected, ex.Reason);
            Assert.Equal(AuthTestHost.ClientName, ex.ClientName);
        }

        await Assert.ThrowsAsync<SignInRequiredException>(() => client.GetAsync("/data", TestContext.Current.CancellationToken));
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_EmptyStore_SignalsNoTokensAndDoesNotSendTheRequest()
    {
        await using var host = AuthTestHost.Start();
        host.ApiAccepts(Access1);
        var signals = 0;
        host.Session.SignInRequired += (_, args) =>
        {
            Assert.Equal(SignInRequiredReason.NoTokens, args.Reason);
            Interlocked.Increment(ref signals);
        };

        var first = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var second = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal("Sign-in required", first.ReasonPhrase);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Empty(host.Api.LogEntries);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(1, signals);
    }

    [Fact]
    public async Task SendAsync_RefreshTokenExpired_SignsOutWithoutCallingTheServer()
    {
        await using var host = AuthTestHost.Start();
        var now = host.Time.GetUtcNow();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(Access1, now.AddMinutes(10))
        {
            RefreshToken = "rt-" + AuthTestHost.SecretMarker,
            RefreshTokenExpiresAt = now.AddMinutes(5),
            IssuedAt = now,
        });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
    }

    [Theory]
    [InlineData("invalid_client", 401)]
    [InlineData("unauthorized_client", 400)]
    public async Task SendAsync_ClientRejected_KeepsTokensAndReportsConfigurationError(string error, int status)
    {
        await using var host = AuthTestHost.Start(o => o.ClientSecret = "cs-" + AuthTestHost.SecretMarker);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { error }, status);
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.ClientConfiguration, ex.Failure);
        Assert.False(ex.IsTransient);
        Assert.Equal(error, ex.Error);
        Assert.Contains("ClientId", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.NotNull(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 5 && r.Level == Microsoft.Extensions.Logging.LogLevel.Error);
        Assert.StartsWith("Basic ", host.Idp.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NoRefreshTokenAndApiRejects_SignsOut()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, refreshToken: null);
        host.ApiAccepts("never");
        var signals = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, args) => signals.Add(args.Reason);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal([SignInRequiredReason.NoRefreshToken], signals);

        // The dead token is gone, so looking at the store again later does not bring it back.
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        host.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        await host.Session.WhenRefreshCompleted();
        Assert.Single(signals);
        Assert.Single(host.Api.LogEntries);
    }

    [Fact]
    public async Task Signal_ThrowingSubscriber_DoesNotStopOthersOrTheCallback()
    {
        var callback = 0;
        await using var host = AuthTestHost.Start(o => o.OnSignInRequired = _ =>
        {
            callback++;
            return ValueTask.CompletedTask;
        });
        var second = 0;
        host.Session.SignInRequired += (_, _) => throw new InvalidOperationException("subscriber bug");
        host.Session.SignInRequired += (_, _) => second++;

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(1, second);
        Assert.Equal(1, callback);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 13);
    }

    [Fact]
    public async Task SetTokensAsync_AfterSignOut_SignsInAgain()
    {
        await using var host = AuthTestHost.Start();
        host.ApiAccepts(Access1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(SessionState.SignInRequired, host.Session.State);

        await host.Session.SetTokensAsync(new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.NotNull(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));

        await host.Session.SignOutAsync(TestContext.Current.CancellationToken);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
    }
}
