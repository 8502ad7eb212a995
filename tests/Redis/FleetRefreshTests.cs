using System.Net;

namespace AuthHandler.Tests.Redis;

public sealed class FleetRefreshTests
{
    private const string Access1 = "at-1-" + RedisTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + RedisTestHost.SecretMarker;
    private const string Access2 = "at-2-" + RedisTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + RedisTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_FourInstancesTwentyFiveRequestsEachWithExpiredToken_OneRefreshNoInvalidGrantAllSucceed()
    {
        await using var host = await RedisTestHost.StartAsync();
        var locks = new List<ObservedRefreshLock>();
        var instances = Enumerable.Range(0, 4).Select(_ => host.AddInstance(wrapLock: inner =>
        {
            var observed = new ObservedRefreshLock(inner);
            lock (locks)
            {
                locks.Add(observed);
            }

            return observed;
        })).ToList();

        // Seeded by a fifth instance, so the lock acquisitions counted below are the refresh's only.
        await host.SeedAsync(host.AddInstance(), Access1, Refresh1, lifetime: TimeSpan.FromMinutes(-1));
        host.ApiAccepts(Access2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = host.TokenEndpointRotates(Refresh1, Access2, Refresh2, answerWhen: release.Task);
        var unauthorized = 0;
        foreach (var instance in instances)
        {
            RedisTestHost.Session(instance).SignInRequired += (_, _) => Interlocked.Increment(ref unauthorized);
        }

        var clients = instances.Select(RedisTestHost.Client).ToList();
        var calls = clients.SelectMany(client => Enumerable.Range(0, 25).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken))).ToList();

        // While the one redemption is held, the three other instances are inside an acquisition
        // of the Redis lock that cannot end (the redeeming instance holds it): the fleet contends
        // for real before the server answers.
        try
        {
            await reached.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            await RedisTestHost.WaitUntilAsync(() => Task.FromResult(locks.Count(l => l.Acquiring == 1) == 3), "three instances wait for the Redis lock");
            Assert.Equal(4, locks.Count);
        }
        finally
        {
            release.TrySetResult();
        }

        var responses = await Task.WhenAll(calls);

        Assert.Equal(100, responses.Length);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(0, host.InvalidGrantAnswers);
        Assert.Equal(0, unauthorized);
        Assert.All(instances, i => Assert.Equal(SessionState.SignedIn, RedisTestHost.Session(i).State));

        // Every instance went through the Redis lock (the one that refreshed, and three that
        // re-read the store inside it and adopted the new tokens).
        Assert.All(instances, i => Assert.True(RedisTestHost.LogCount(i, RedisTestHost.LockAcquiredEvent) >= 1));
        var stored = await RedisTestHost.Store(instances[3]).GetAsync(RedisTestHost.Session(instances[3]).StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Refresh2, stored!.RefreshToken);
    }
}
