using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The token endpoint holds each refresh until every request the test expects has joined it
/// (counted by the joins metric), so "one refresh for all" is checked with all of them waiting
/// at once rather than with a delay that makes it likely.
/// </summary>
public sealed class SingleFlightTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    private static MetricCollector<long> Joins(AuthTestHost host) =>
        new(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.joins");

    [Fact]
    public async Task SendAsync_200ConcurrentUnauthorized_CallTokenEndpointOnceAndAllSucceed()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();
        using var joins = Joins(host);
        var client = host.Client;

        var calls = Enumerable.Range(0, 200).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(199, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(199, joins.GetMeasurementSnapshot().Count);
        Assert.Equal(200, host.Api.LogEntries.Count(e => e.RequestMessage.Headers!["Authorization"].Single() == "Bearer " + Access1));
        Assert.Equal(200, host.Api.LogEntries.Count(e => e.RequestMessage.Headers!["Authorization"].Single() == "Bearer " + Access2));
    }

    [Fact]
    public async Task SendAsync_ConcurrentRequestsPastExpiry_ShareOneRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        using var joins = Joins(host);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;

        var calls = Enumerable.Range(0, 100).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(99, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(99, joins.GetMeasurementSnapshot().Count);
        Assert.Equal(100, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access2, e.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task SendAsync_FirstCallerCancels_SharedRefreshStillCompletesForOthers()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        using var joins = Joins(host);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;
        using var impatient = new CancellationTokenSource();

        // The first caller starts the refresh, the second joins it, then the first gives up
        // while the token endpoint still holds the refresh.
        var first = client.GetAsync("/data", impatient.Token);
        await tokenEndpoint.WaitUntilReachedAsync();
        var second = client.GetAsync("/data", TestContext.Current.CancellationToken);
        await joins.WaitForMeasurementsAsync(1, HeldTokenEndpoint.Patience);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(HeldTokenEndpoint.Patience, TestContext.Current.CancellationToken));
        tokenEndpoint.Release();

        var response = await second;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal("Bearer " + Access2, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task SendAsync_OnlyCallerCancels_RefreshStillCompletesAndIsStored()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        using var impatient = new CancellationTokenSource();

        // The caller gives up while the token endpoint holds the refresh it started.
        var request = host.Client.GetAsync("/data", impatient.Token);
        await tokenEndpoint.WaitUntilReachedAsync();
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(HeldTokenEndpoint.Patience, TestContext.Current.CancellationToken));
        Assert.Equal(Access1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.AccessToken);
        tokenEndpoint.Release();
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(Access2, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.AccessToken);
        Assert.Equal(1, host.TokenCalls);
        Assert.Empty(host.Api.LogEntries);
    }
}
