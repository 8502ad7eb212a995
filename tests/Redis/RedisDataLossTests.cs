using System.Net;
using StackExchange.Redis;
using static AuthHandler.Tests.RotatingTokenEndpoint;

namespace AuthHandler.Tests.Redis;

/// <summary>
/// Redis restarted without persistence (or flushed, or its keys evicted) while the fleet runs:
/// the tokens, the sign-out record, the lock and the fence are gone, and every instance still
/// holds a sign-in the server honours. A strict rotating server stands in for the
/// authorization server, so a spent refresh token presented again would revoke the grant.
/// </summary>
public sealed class RedisDataLossTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SendAsync_RedisRestartedWithoutPersistenceWhileThreeInstancesHoldTokens_OneWritesThemBackAndRefreshesOnceNoReuseNoSignOutRedisHoldsNewest()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);
        var (instances, signOuts) = await host.SignedInInstancesAsync(count: 3);
        var ct = TestContext.Current.CancellationToken;
        var key = RedisTestHost.Session(instances[0]).StoreKey;

        await host.Redis.StopAsync(keepData: false);
        await host.Redis.RestartAsync();
        var admin = await host.AdminAsync();
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", key)));
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("fence", key)));

        host.Time.Advance(TimeSpan.FromMinutes(11));
        var responses = await Task.WhenAll(instances.SelectMany(i => Enumerable.Range(0, 5).Select(_ => RedisTestHost.Client(i).GetAsync("/data", ct))))
            .WaitAsync(Patience, ct);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, signOuts());

        // The first instance in the lock found no tokens and no sign-out record: it wrote back
        // what it held and redeemed it. The others found the new tokens and adopted them.
        Assert.Equal(1, instances.Sum(i => RedisTestHost.SessionLogCount(i, RedisTestHost.StoreEntryRestoredEvent)));
        Assert.Equal([RefreshToken(1) + ":Rotated"], server.Presentations.Select(p => p.ToString()));
        Assert.Equal(0, server.Reuses);
        Assert.False(server.Revoked);
        await host.AssertStoredAsync(instances[2], generation: 2);
    }

    [Fact]
    public async Task SendAsync_RedisRestartedWithoutPersistenceWhileTheHolderAwaitsTheRotatedAnswer_RedisHoldsTheNewTokensAndTheOtherInstanceAdoptsThemNoReuseNoSignOut()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);

        // The test's own connections, so it can tell when the instances are back on Redis.
        var connections = new List<ConnectionMultiplexer>();
        var options = ConfigurationOptions.Parse(host.Redis.ConnectionString);
        options.ReconnectRetryPolicy = new LinearRetry(100);
        try
        {
            var (instances, signOuts) = await host.SignedInInstancesAsync(count: 2, o =>
            {
                var connection = ConnectionMultiplexer.Connect(options);
                connections.Add(connection);
                o.Configuration = null;
                o.ConnectionMultiplexerFactory = _ => connection;
            });
            var ct = TestContext.Current.CancellationToken;
            var (holder, other) = (instances[0], instances[1]);
            var held = server.HoldNext(HoldPoint.AfterRotation);
            host.Time.Advance(TimeSpan.FromMinutes(11));

            // The holder has the lock, has marked the tokens and the server has rotated rt-1;
            // then Redis comes back empty, before the answer reaches the holder.
            var holderRequest = RedisTestHost.Client(holder).GetAsync("/data", ct);
            await held.WaitUntilReachedAsync();
            await host.Redis.StopAsync(keepData: false);
            await host.Redis.RestartAsync();
            await RedisTestHost.WaitUntilAsync(() => Task.FromResult(connections.All(c => c.IsConnected)), "the instances reconnected", Patience);
            held.Release();

            Assert.Equal(HttpStatusCode.OK, (await holderRequest.WaitAsync(Patience, ct)).StatusCode);

            // The newest refresh token exists only in the holder's memory now: it must reach
            // Redis, or the next instance writes back the spent one and presents it.
            await host.AssertStoredAsync(holder, generation: 2);
            Assert.Equal(0, RedisTestHost.SessionLogCount(holder, RedisTestHost.StoreWriteSupersededEvent));

            var otherResponse = await RedisTestHost.Client(other).GetAsync("/data", ct).WaitAsync(Patience, ct);
            Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
            Assert.Equal(0, signOuts());
            Assert.Equal([RefreshToken(1) + ":Rotated"], server.Presentations.Select(p => p.ToString()));
            Assert.Equal(0, server.Reuses);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
