using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthHandler.Tests.Integration;

public sealed class TelemetryTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    private static MetricCollector<long> Collect(AuthTestHost host, string instrument) =>
        new(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, instrument);

    private static long Sum(MetricCollector<long> collector, string? outcome = null) =>
        collector.GetMeasurementSnapshot()
            .Where(m => outcome is null || Equals(m.Tags["authhandler.outcome"], outcome))
            .Sum(m => m.Value);

    [Fact]
    public async Task Refresh_After401_RecordsOneRefreshOneStoreLoadRetriesJoinsAndLogs()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        using var refreshes = Collect(host, "authhandler.refresh.count");
        using var loads = Collect(host, "authhandler.store.load.count");
        using var retries = Collect(host, "authhandler.request.retries");
        using var joins = Collect(host, "authhandler.refresh.joins");
        using var duration = new MetricCollector<double>(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.duration");
        var client = host.Client;

        // The first read of the store, by one caller: a load, not a refresh, that nobody joins.
        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();

        // Twenty 401s: the first starts the refresh, which the token endpoint holds until the
        // other nineteen have joined it.
        var calls = Enumerable.Range(0, 20).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)).ToList();
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(19, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();
        await Task.WhenAll(calls);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(1, Sum(refreshes, "refreshed"));
        Assert.Single(refreshes.GetMeasurementSnapshot());
        Assert.Equal(1, Sum(loads, "loaded"));
        Assert.Single(loads.GetMeasurementSnapshot());
        Assert.Equal(20, Sum(retries));
        Assert.Equal(19, Sum(joins));
        Assert.Equal(1, tokenEndpoint.Calls);
        Assert.Single(duration.GetMeasurementSnapshot());
        Assert.All(refreshes.GetMeasurementSnapshot(), m => Assert.Equal(AuthTestHost.ClientName, m.Tags["authhandler.client"]));
        var events = host.Logs.GetSnapshot().Select(r => r.Id.Id).ToHashSet();
        Assert.Superset(new HashSet<int> { 1, 2, 8, 14 }, events);
    }

    [Fact]
    public async Task Refresh_Rejected_RecordsRejectionAndSignal()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        using var refreshes = Collect(host, "authhandler.refresh.count");
        using var signals = Collect(host, "authhandler.sign_in_required");

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(1, Sum(refreshes, "rejected"));
        var signal = Assert.Single(signals.GetMeasurementSnapshot());
        Assert.Equal("refresh_rejected", signal.Tags["authhandler.reason"]);
        var events = host.Logs.GetSnapshot().Select(r => r.Id.Id).ToHashSet();
        Assert.Superset(new HashSet<int> { 3, 7 }, events);
    }

    [Fact]
    public async Task Refresh_Transient_RecordsTransientOutcome()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { }, 503);
        using var refreshes = Collect(host, "authhandler.refresh.count");

        await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(1, Sum(refreshes, "transient"));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 4);
    }

    [Fact]
    public async Task SignIn_RecordsOutcomes()
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((400, new { error = "access_denied" }), (200, AuthTestHost.Tokens(Access1, Refresh2)));
        using var signIns = Collect(host, "authhandler.signin.count");

        var denied = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<DeviceAuthorizationException>(() => denied);
        var approved = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5), count: 2);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await approved;

        Assert.Equal(1, Sum(signIns, "access_denied"));
        Assert.Equal(1, Sum(signIns, "signed_in"));
    }

    [Fact]
    public async Task Refresh_Span_IsARootLinkedToEveryWaitingRequest()
    {
        using var requests = new ActivitySource("AuthHandler.Tests.Requests");
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is DeviceAuthDiagnostics.ActivitySourceName or "AuthHandler.Tests.Requests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        await host.Session.SetTokensAsync((await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!, TestContext.Current.CancellationToken);
        host.ApiAccepts(Access2);
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        using var joins = Collect(host, "authhandler.refresh.joins");
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var client = host.Client;

        var parents = new List<ActivityTraceId>();
        var calls = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 3; i++)
        {
            using var parent = requests.StartActivity("request " + i);
            parents.Add(parent!.TraceId);
            calls.Add(client.GetAsync("/data", TestContext.Current.CancellationToken));
        }

        // The first request started the refresh; it answers once the other two have joined it.
        await tokenEndpoint.WaitUntilReachedAsync();
        await joins.WaitForMeasurementsAsync(2, HeldTokenEndpoint.Patience);
        tokenEndpoint.Release();
        await Task.WhenAll(calls);
        await host.Session.WhenRefreshCompleted();

        Activity refresh;
        lock (spans)
        {
            refresh = Assert.Single(spans, s => s.OperationName == "AuthHandler.Refresh" && Equals(s.GetTagItem("authhandler.client"), AuthTestHost.ClientName) && parents.Contains(s.Links.FirstOrDefault().Context.TraceId));
        }

        Assert.Null(refresh.ParentId);
        Assert.DoesNotContain(refresh.TraceId, parents);
        Assert.Equal(parents.ToHashSet(), refresh.Links.Select(l => l.Context.TraceId).ToHashSet());
        Assert.Equal("refreshed", refresh.GetTagItem("authhandler.outcome"));
        Assert.DoesNotContain(refresh.TagObjects, t => t.Value?.ToString()?.Contains(AuthTestHost.SecretMarker, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task StoreLoad_ExpiredStoredToken_CountsARefreshAndNoLoad()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        using var refreshes = Collect(host, "authhandler.refresh.count");
        using var loads = Collect(host, "authhandler.store.load.count");
        host.Time.Advance(TimeSpan.FromMinutes(11));

        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();

        // The first read found an expired token and redeemed its refresh token: that is a refresh.
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(1, Sum(refreshes, "refreshed"));
        Assert.Single(refreshes.GetMeasurementSnapshot());
        Assert.Empty(loads.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task StoreLoad_EmptyStore_CountsASignedOutLoadAndNoRefresh()
    {
        await using var host = AuthTestHost.Start();
        using var refreshes = Collect(host, "authhandler.refresh.count");
        using var loads = Collect(host, "authhandler.store.load.count");
        using var duration = new MetricCollector<double>(host.Provider.GetRequiredService<IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.duration");

        Assert.Null(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(1, Sum(loads, "signed_out"));
        Assert.Single(loads.GetMeasurementSnapshot());
        Assert.Empty(refreshes.GetMeasurementSnapshot());
        Assert.Empty(duration.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Refresh_Rejected_SpanHasEndedWhenTheSignInRequiredEventAndCallbackRun()
    {
        var (listener, stopped) = ListenToRefreshSpans();
        using var _ = listener;
        using var requests = new ActivitySource("AuthHandler.Tests.Requests");
        var seen = new List<string>();
        ActivityTraceId request = default;
        await using var host = AuthTestHost.Start(o => o.OnSignInRequired = _ =>
        {
            seen.Add("callback: " + Observe(stopped, request));
            return ValueTask.CompletedTask;
        });
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        host.Session.SignInRequired += (_, _) => seen.Add("event: " + Observe(stopped, request));

        // The first read of the store (a span of its own) before the request's trace starts.
        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));

        using (var parent = requests.StartActivity("request"))
        {
            request = parent!.TraceId;
            await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        }

        await host.Session.WhenRefreshCompleted();

        Assert.Equal(["event: span ended, not current", "callback: span ended, not current"], seen);
    }

    [Fact]
    public async Task Refresh_Refreshed_SpanHasEndedWhenTheRefreshedEventRuns()
    {
        var (listener, stopped) = ListenToRefreshSpans();
        using var _ = listener;
        using var requests = new ActivitySource("AuthHandler.Tests.Requests");
        var seen = new List<string>();
        ActivityTraceId request = default;
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.Session.Refreshed += (_, _) => seen.Add(Observe(stopped, request));
        Assert.NotNull(await host.Session.GetTokenAsync(TestContext.Current.CancellationToken));

        using (var parent = requests.StartActivity("request"))
        {
            request = parent!.TraceId;
            Assert.Equal(System.Net.HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        }

        await host.Session.WhenRefreshCompleted();

        Assert.Equal(["span ended, not current"], seen);
    }

    /// <summary>Every AuthHandler.Refresh span, as it stops (tests run in parallel: filter by the request's trace).</summary>
    private static (ActivityListener Listener, List<Activity> Stopped) ListenToRefreshSpans()
    {
        var stopped = new List<Activity>();
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is DeviceAuthDiagnostics.ActivitySourceName or "AuthHandler.Tests.Requests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "AuthHandler.Refresh")
                {
                    lock (stopped)
                    {
                        stopped.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return (listener, stopped);
    }

    /// <summary>What app code sees of the refresh span started for <paramref name="request"/>: whether it has ended, and whether it is current.</summary>
    private static string Observe(List<Activity> stopped, ActivityTraceId request)
    {
        bool ended;
        lock (stopped)
        {
            ended = stopped.Any(s => s.Links.Any(l => l.Context.TraceId == request));
        }

        var current = Activity.Current?.OperationName == "AuthHandler.Refresh";
        return (ended ? "span ended" : "span open") + ", " + (current ? "current" : "not current");
    }
}
