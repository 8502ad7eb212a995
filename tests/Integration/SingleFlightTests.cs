using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class SingleFlightTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_200ConcurrentUnauthorized_CallTokenEndpointOnceAndAllSucceed()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2), delay: TimeSpan.FromMilliseconds(100));
        var client = host.Client;

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(200, host.Api.LogEntries.Count(e => e.RequestMessage.Headers!["Authorization"].Single() == "Bearer " + Access2));
    }

    [Fact]
    public async Task SendAsync_ConcurrentRequestsPastExpiry_ShareOneRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2), delay: TimeSpan.FromMilliseconds(100));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;

        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(100, host.Api.LogEntries.Count);
    }

    [Fact]
    public async Task SendAsync_FirstCallerCancels_SharedRefreshStillCompletesForOthers()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2), delay: TimeSpan.FromMilliseconds(300));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;
        using var impatient = new CancellationTokenSource();

        var first = client.GetAsync("/data", impatient.Token);
        var second = client.GetAsync("/data", TestContext.Current.CancellationToken);
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var response = await second;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task SendAsync_OnlyCallerCancels_RefreshStillCompletesAndIsStored()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2), delay: TimeSpan.FromMilliseconds(200));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        using var impatient = new CancellationTokenSource();

        var request = host.Client.GetAsync("/data", impatient.Token);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(Access2, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.AccessToken);
        Assert.Equal(1, host.TokenCalls);
    }
}
