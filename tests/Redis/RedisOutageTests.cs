using System.Net;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

public sealed class RedisOutageTests
{
    private const string Access1 = "at-1-" + RedisTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + RedisTestHost.SecretMarker;
    private const string Access2 = "at-2-" + RedisTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + RedisTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_RedisDownDuringRefresh_TransientFailureOneFlightTokensKeptThenRecovers()
    {
        await using var host = await RedisTestHost.StartAsync();
        var options = ConfigurationOptions.Parse(host.Redis.ConnectionStringWithTimeout(1500));
        options.ReconnectRetryPolicy = new LinearRetry(100);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var instance = host.AddInstance(o =>
        {
            o.Configuration = null;
            o.ConnectionMultiplexerFactory = _ => connection;
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

        var failures = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Assert.ThrowsAsync<TokenStoreException>(() => client.GetAsync("/data", ct))));

        Assert.All(failures, ex =>
        {
            Assert.True(ex.IsTransient);
            Assert.Contains("Redis is unavailable for the refresh lock of client 'api'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("The tokens are kept", ex.Message, StringComparison.Ordinal);
        });

        // The in-process single flight held: ten requests, one refresh, one attempt at Redis.
        Assert.Equal(1, RedisTestHost.LogCount(instance, RedisTestHost.RedisUnavailableEvent));
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
