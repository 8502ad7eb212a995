using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class RefreshAheadTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_InsideRefreshWindow_UsesCurrentTokenAndRefreshesOnceInBackground()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromHours(1));
        host.ApiAccepts(Access1);
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var refreshed = new TaskCompletionSource<RefreshedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Session.Refreshed += (_, args) => refreshed.TrySetResult(args);

        // 4 minutes before expiry: inside the default 5-minute window, outside the 30 s skew.
        // All twenty complete while the token endpoint still holds the refresh they started:
        // none of them waited for it.
        host.Time.Advance(TimeSpan.FromMinutes(56));
        var during = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Client.GetAsync("/data", TestContext.Current.CancellationToken)))
            .WaitAsync(HeldTokenEndpoint.Patience, TestContext.Current.CancellationToken);
        await tokenEndpoint.WaitUntilReachedAsync();
        Assert.False(host.Session.WhenRefreshCompleted().IsCompleted, "the background refresh is still held");
        tokenEndpoint.Release();
        await host.Session.WhenRefreshCompleted();
        var args = await refreshed.Task.WaitAsync(TestContext.Current.CancellationToken);
        var after = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.All(during, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.True(args.RefreshTokenRotated);
        var sent = host.Api.LogEntries.Select(e => e.RequestMessage.Headers!["Authorization"].Single()).ToList();
        Assert.All(sent.Take(21), h => Assert.Equal("Bearer " + Access1, h));
        Assert.Equal("Bearer " + Access2, sent[^1]);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task SendAsync_PastExpiryMinusSkew_WaitsForTheRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromHours(1));
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        // 20 s before expiry: inside the 30 s skew, so the request must not use the old token.
        host.Time.Advance(TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(40));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal("Bearer " + Access2, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task SendAsync_ShortLivedToken_WindowIsHalfTheLifetime()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(2));
        host.ApiAccepts(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        // 61 s left of 120 s: outside a window of half the lifetime (60 s), though inside 5 minutes.
        host.Time.Advance(TimeSpan.FromSeconds(59));
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, host.TokenCalls);

        // 60 s left: the window has begun, so this request starts the background refresh.
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_FailedBackgroundRefresh_KeepsTokenAndBacksOff()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromHours(1));
        host.ApiAccepts(Access1);
        host.TokenEndpointAnswers(new { error = "temporarily_unavailable" }, status: 503);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        host.Time.Advance(TimeSpan.FromMinutes(56));

        var first = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal(Access1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.AccessToken);

        // The back-off is 30 s by default: a second before it ends, still no refresh; once it
        // has ended, the next request starts another background refresh.
        host.Time.Advance(TimeSpan.FromSeconds(29));
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(1, host.TokenCalls);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(2, host.TokenCalls);
    }
}
