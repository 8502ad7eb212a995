using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

public sealed class RedisOutageTests
{
    private const string Access1 = "at-1-" + RedisTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + RedisTestHost.SecretMarker;
    private const string Access2 = "at-2-" + RedisTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + RedisTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_RedisDownForLongerThanTheLockWait_TransientFailureOneFlightTokensKeptThenRecovers()
    {
        await using var host = await RedisTestHost.StartAsync();
        var (connection, instance) = await InstanceOnItsOwnConnectionAsync(host, TimeSpan.FromSeconds(2));
        await using (connection)
        {
            var session = RedisTestHost.Session(instance);
            var client = RedisTestHost.Client(instance);
            var unauthorized = 0;
            session.SignInRequired += (_, _) => Interlocked.Increment(ref unauthorized);
            await host.SeedAsync(instance, Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
            host.ApiAccepts(Access1, Access2);
            host.TokenEndpointRotates(Refresh1, Access2, Refresh2, delay: TimeSpan.Zero);
            var ct = TestContext.Current.CancellationToken;
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/data", ct)).StatusCode);

            // Redis goes away (its data snapshotted, as a persistent production Redis keeps it),
            // the access token expires, and Redis stays away past the 2 s LockWaitTimeout.
            await host.Redis.StopAsync(keepData: true);
            await RedisTestHost.WaitUntilAsync(() => Task.FromResult(!connection.IsConnected), "the client saw Redis go");
            host.Time.Advance(TimeSpan.FromMinutes(11));

            var failures = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
                Assert.ThrowsAsync<TokenStoreException>(() => client.GetAsync("/data", ct))));

            Assert.All(failures, ex =>
            {
                Assert.True(ex.IsTransient);
                Assert.Contains("Redis is unavailable for the refresh lock of client 'api'", ex.Message, StringComparison.Ordinal);
                Assert.Contains("The tokens are kept", ex.Message, StringComparison.Ordinal);
            });

            // The in-process single flight held: ten requests, one refresh. It logged Redis as
            // unavailable twice: its look at the store before the lock, and the lock's wait
            // (logged once however many times it tried).
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
    }

    [Fact]
    public async Task SendAsync_RedisBackWithinTheLockWait_WaitingRequestsSucceedWithOneRefresh()
    {
        await using var host = await RedisTestHost.StartAsync();
        var (connection, instance) = await InstanceOnItsOwnConnectionAsync(host, TimeSpan.FromSeconds(60));
        await using (connection)
        {
            var session = RedisTestHost.Session(instance);
            var client = RedisTestHost.Client(instance);
            var unauthorized = 0;
            session.SignInRequired += (_, _) => Interlocked.Increment(ref unauthorized);
            await host.SeedAsync(instance, Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
            host.ApiAccepts(Access1, Access2);
            host.TokenEndpointRotates(Refresh1, Access2, Refresh2, delay: TimeSpan.Zero);
            var ct = TestContext.Current.CancellationToken;
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/data", ct)).StatusCode);

            await host.Redis.StopAsync(keepData: true);
            await RedisTestHost.WaitUntilAsync(() => Task.FromResult(!connection.IsConnected), "the client saw Redis go");
            host.Time.Advance(TimeSpan.FromMinutes(11));
            var requests = Enumerable.Range(0, 10).Select(_ => client.GetAsync("/data", ct)).ToList();

            // The refresh is waiting for the lock (it has logged Redis as unavailable for it);
            // then Redis comes back, well within the 60 s LockWaitTimeout.
            await RedisTestHost.WaitUntilAsync(() => Task.FromResult(RedisTestHost.LogCount(instance, RedisTestHost.RedisUnavailableEvent) == 2), "the refresh waits for the lock");
            Assert.All(requests, r => Assert.False(r.IsCompleted));
            await host.Redis.RestartAsync();
            var responses = await Task.WhenAll(requests);

            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.Equal(1, host.TokenCalls);
            Assert.Equal(0, unauthorized);
            Assert.Equal(Refresh2, (await RedisTestHost.Store(instance).GetAsync(session.StoreKey, ct))!.RefreshToken);
        }
    }

    /// <summary>An instance on a connection of the test's that fails fast and reconnects quickly.</summary>
    private static async Task<(ConnectionMultiplexer Connection, ServiceProvider Instance)> InstanceOnItsOwnConnectionAsync(RedisTestHost host, TimeSpan lockWait)
    {
        var options = ConfigurationOptions.Parse(host.Redis.ConnectionStringWithTimeout(1500));
        options.ReconnectRetryPolicy = new LinearRetry(100);
        var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var instance = host.AddInstance(o =>
        {
            o.Configuration = null;
            o.ConnectionMultiplexerFactory = _ => connection;
            o.LockWaitTimeout = lockWait;
        });
        return (connection, instance);
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
}
