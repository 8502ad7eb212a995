using System.Diagnostics;
using System.Net;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

public sealed class RedisOutageTests
{
    private const string Access1 = "at-1-" + RedisTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + RedisTestHost.SecretMarker;
    private const string Access2 = "at-2-" + RedisTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + RedisTestHost.SecretMarker;

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(5);

    /// <summary>For a loaded 2-core machine: scheduling, not the library.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Once Redis answers again, a refresh that waited for the lock completes within this: the
    /// client's reconnect, the lock, one token request and two writes.
    /// </summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task SendAsync_RedisDownLongerThanLockWaitTimeout_FailsTransientlyOnceTheWaitIsOverOneFlightTokensKeptThenRecovers()
    {
        await using var host = await RedisTestHost.StartAsync();
        var options = ConfigurationOptions.Parse(host.Redis.ConnectionStringWithTimeout(1500));
        options.ReconnectRetryPolicy = new LinearRetry(100);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var instance = host.AddInstance(o =>
        {
            o.Configuration = null;
            o.ConnectionMultiplexerFactory = _ => connection;
            o.LockWaitTimeout = LockWait;
        });
        var session = RedisTestHost.Session(instance);
        var client = RedisTestHost.Client(instance);
        var unauthorized = 0;
        session.SignInRequired += (_, _) => Interlocked.Increment(ref unauthorized);
        await host.SeedAsync(instance, Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1, Access2);
        _ = host.TokenEndpointRotates(Refresh1, Access2, Refresh2);
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/data", ct)).StatusCode);

        // Redis goes away (its data snapshotted, as a persistent production Redis keeps it) and
        // the access token expires.
        await host.Redis.StopAsync(keepData: true);
        await RedisTestHost.WaitUntilAsync(() => Task.FromResult(!connection.IsConnected), "the client saw Redis go");
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var waited = Stopwatch.StartNew();
        var failures = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Assert.ThrowsAsync<TokenStoreException>(() => client.GetAsync("/data", ct))));
        waited.Stop();

        Assert.All(failures, ex =>
        {
            Assert.True(ex.IsTransient);
            Assert.Contains("Redis is unavailable for the refresh lock of client 'api'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("The tokens are kept", ex.Message, StringComparison.Ordinal);
        });

        // The outage was waited out for the whole LockWaitTimeout before the refresh gave up, and
        // no longer than two more command timeouts (1.5 s each): the look at the store before
        // the lock, and the lock's last attempt.
        Assert.InRange(waited.Elapsed, LockWait, LockWait + TimeSpan.FromSeconds(2 * 1.5) + Slack);

        // The in-process single flight held: ten requests, one refresh. It logged Redis as
        // unavailable twice: its look at the store before the lock, and the lock's wait (logged
        // once however many times it tried).
        Assert.Equal(2, RedisTestHost.LogCount(instance, RedisTestHost.RedisUnavailableEvent));
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(0, unauthorized);
        Assert.Equal(SessionState.SignedIn, session.State);

        // Redis is back with the tokens it had: the next request refreshes and succeeds.
        await host.Redis.RestartAsync();
        await RedisTestHost.WaitUntilAsync(() => Task.FromResult(connection.IsConnected), "the client reconnected");
        var response = await client.GetAsync("/data", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(0, host.InvalidGrantAnswers);
        Assert.Equal(0, unauthorized);
        Assert.Equal(Refresh2, (await RedisTestHost.Store(instance).GetAsync(session.StoreKey, ct))!.RefreshToken);
    }

    [Fact]
    public async Task SendAsync_RedisFrozenFiveSecondsPastTheCommandTimeoutWhileTwoInstancesNeedTheLock_BothSucceedWithinOneLeasePlusThreeSecondsOfResumeOneRotationNoReuseNoSignOutRedisHoldsNewest()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);

        // Commands time out after 1 s, so the lock's attempts fail during the freeze (and those
        // already sent still run when Redis resumes).
        var (instances, signOuts) = await host.SignedInInstancesAsync(count: 2, o => o.Configuration = host.Redis.ConnectionStringWithTimeout(1000));

        // SIGSTOP: connections stay open and commands go unanswered, as with a stalled primary.
        var (responses, recovery) = await ExpireDuringOutageAsync(host, server, instances, host.Redis.PauseAsync, host.Redis.ResumeAsync);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, signOuts());
        Assert.Equal([RotatingTokenEndpoint.RefreshToken(1) + ":Rotated"], server.Presentations.Select(p => p.ToString()));
        Assert.Equal(0, server.Reuses);
        Assert.All(instances, i => Assert.True(RedisTestHost.LogCount(i, RedisTestHost.RedisUnavailableEvent) >= 1));
        await host.AssertStoredAsync(instances[0], generation: 2);

        // Not RecoveryBound alone: an attempt that timed out during the freeze still runs when
        // Redis resumes and may take the lease, which its own acquisition then waits out (see
        // RedisRefreshLockTests.AcquireAsync_AttemptTimedOutDuringFreezeRanWhenRedisResumed_…).
        Assert.InRange(recovery, TimeSpan.Zero, DefaultLease + RecoveryBound);
    }

    [Fact]
    public async Task SendAsync_RedisKilledAndRestartedWithItsDataFiveSecondsLaterWhileTwoInstancesNeedTheLock_BothSucceedWithinThreeSecondsOfRestartOneRotationNoReuseNoSignOutRedisHoldsNewest()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);
        var (instances, signOuts) = await host.SignedInInstancesAsync(count: 2);
        var (responses, recovery) = await ExpireDuringOutageAsync(host, server, instances, () => host.Redis.StopAsync(keepData: true), host.Redis.RestartAsync);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, signOuts());
        Assert.Equal([RotatingTokenEndpoint.RefreshToken(1) + ":Rotated"], server.Presentations.Select(p => p.ToString()));
        Assert.All(instances, i => Assert.True(RedisTestHost.LogCount(i, RedisTestHost.RedisUnavailableEvent) >= 1));
        await host.AssertStoredAsync(instances[0], generation: 2);
        Assert.InRange(recovery, TimeSpan.Zero, RecoveryBound);
    }

    [Fact]
    public async Task GetAsync_RedisUnreachable_ThrowsTransientStoreError()
    {
        await using var host = await RedisTestHost.StartAsync();
        var instance = host.AddInstance(o => o.Configuration = host.Redis.ConnectionStringWithTimeout(1000));
        var key = RedisTestHost.Session(instance).StoreKey;
        await host.Redis.StopAsync(keepData: false);

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => RedisTestHost.Store(instance).GetAsync(key, TestContext.Current.CancellationToken).AsTask());

        Assert.True(ex.IsTransient);
        Assert.Contains("Redis is unavailable for the token store of client 'api'", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Takes Redis <paramref name="down"/> for <see cref="Outage"/>, during which the instances'
    /// access tokens expire and five requests of each need a refresh, then brings it
    /// <paramref name="up"/>. Returns the responses and how long after that they took.
    /// </summary>
    private static async Task<(HttpResponseMessage[] Responses, TimeSpan Recovery)> ExpireDuringOutageAsync(
        RedisTestHost host, RotatingTokenEndpoint server, IReadOnlyList<IServiceProvider> instances, Func<Task> down, Func<Task> up)
    {
        var ct = TestContext.Current.CancellationToken;
        await down();
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var requests = Task.WhenAll(instances.SelectMany(i => Enumerable.Range(0, 5).Select(_ => RedisTestHost.Client(i).GetAsync("/data", ct))));

        // Redis's downtime is the scenario: another process, on the real clock.
        await Task.Delay(Outage, ct);
        Assert.False(requests.IsCompleted);
        Assert.Empty(server.Presentations);
        await up();
        var back = Stopwatch.StartNew();
        var responses = await requests.WaitAsync(Patience, ct);
        var recovery = back.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"once Redis was back the requests took {recovery.TotalSeconds:0.00} s"));
        return (responses, recovery);
    }
}
