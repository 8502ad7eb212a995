using System.Diagnostics;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

public sealed class RedisRefreshLockTests
{
    private const string AccessA = "at-a-" + RedisTestHost.SecretMarker;
    private const string AccessB = "at-b-" + RedisTestHost.SecretMarker;

    private static TokenSet Tokens(string accessToken) =>
        new(accessToken, new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero)) { RefreshToken = "rt-" + accessToken };

    [Fact]
    public async Task SetAsync_HolderWhoseLeaseExpiredAfterAnotherTookTheLock_IsRejectedAndNewerTokensStay()
    {
        await using var host = await RedisTestHost.StartAsync();

        // A stops renewing its 1 s lease: what a process frozen for longer than the lease causes.
        var a = host.AddInstance(o => { o.LockLease = TimeSpan.FromSeconds(1); o.RenewLease = false; });
        var b = host.AddInstance(o => o.LockLease = TimeSpan.FromSeconds(1));
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;

        var heldByA = await RedisTestHost.Lock(a).AcquireAsync(key, ct);
        await RedisTestHost.WaitUntilAsync(async () => !await admin.KeyExistsAsync(RedisTestHost.KeyFor("lock", key)), "A's lease ran out on Redis's clock");
        var heldByB = await RedisTestHost.Lock(b).AcquireAsync(key, ct);
        await RedisTestHost.Store(b).SetAsync(key, Tokens(AccessB), heldByB, ct);

        var write = await Assert.ThrowsAsync<TokenStoreException>(() => RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), heldByA, ct).AsTask());
        var delete = await Assert.ThrowsAsync<TokenStoreException>(() => RedisTestHost.Store(a).RemoveAsync(key, heldByA, ct).AsTask());
        await heldByA.DisposeAsync();

        Assert.True(write.IsTransient);
        Assert.Contains("fencing token 1", write.Message, StringComparison.Ordinal);
        Assert.True(delete.IsTransient);
        Assert.Equal(AccessB, (await RedisTestHost.Store(a).GetAsync(key, ct))!.AccessToken);
        Assert.Equal(2, RedisTestHost.LogCount(a, RedisTestHost.FencedWriteRejectedEvent));

        // A's release did not delete B's lease: B still holds the lock.
        Assert.True(await admin.KeyExistsAsync(RedisTestHost.KeyFor("lock", key)));
        await heldByB.DisposeAsync();
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("lock", key)));
    }

    [Fact]
    public async Task SetAsync_LeaseExpiredButNobodyElseTookTheLock_Writes()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance(o => { o.LockLease = TimeSpan.FromSeconds(1); o.RenewLease = false; });
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;

        await using (var lease = await RedisTestHost.Lock(a).AcquireAsync(key, ct))
        {
            await RedisTestHost.WaitUntilAsync(async () => !await admin.KeyExistsAsync(RedisTestHost.KeyFor("lock", key)), "A's lease ran out");
            await RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), lease, ct);
        }

        Assert.Equal(AccessA, (await RedisTestHost.Store(a).GetAsync(key, ct))!.AccessToken);
    }

    [Fact]
    public async Task AcquireAsync_TwoAcquisitions_LeasesCarryTheKeyAndIncreasingFences()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;

        long? first;
        await using (var lease = await RedisTestHost.Lock(a).AcquireAsync(key, ct))
        {
            Assert.Equal(key, lease.Key);
            first = lease.FencingToken;
        }

        await using var second = await RedisTestHost.Lock(a).AcquireAsync(key, ct);

        // A new counter starts from the clock in milliseconds, then grows by one per acquisition.
        Assert.InRange(first!.Value, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1);
        Assert.Equal(first + 1, second.FencingToken);
        Assert.Equal(first + 1, (long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key)));
    }

    [Fact]
    public async Task SetAsync_LeaseCarryingAnOlderFenceWhileThisInstanceHoldsTheNewer_IsRejectedAndNewerTokensStay()
    {
        // The store fences with the lease it is given, not with whatever lock this process holds.
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var ct = TestContext.Current.CancellationToken;
        await (await RedisTestHost.Lock(a).AcquireAsync(key, ct)).DisposeAsync();
        await using var current = await RedisTestHost.Lock(a).AcquireAsync(key, ct);
        await RedisTestHost.Store(a).SetAsync(key, Tokens(AccessB), current, ct);

        var older = current.FencingToken!.Value - 1;
        var write = await Assert.ThrowsAsync<TokenStoreException>(() => RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), new FixedLease(key, older), ct).AsTask());
        var delete = await Assert.ThrowsAsync<TokenStoreException>(() => RedisTestHost.Store(a).RemoveAsync(key, new FixedLease(key, older), ct).AsTask());

        Assert.Contains($"fencing token {older}", write.Message, StringComparison.Ordinal);
        Assert.Contains($"fencing token {older}", delete.Message, StringComparison.Ordinal);
        Assert.Equal(AccessB, (await RedisTestHost.Store(a).GetAsync(key, ct))!.AccessToken);
        Assert.Equal(2, RedisTestHost.LogCount(a, RedisTestHost.FencedWriteRejectedEvent));
    }

    [Fact]
    public async Task SetAsync_LeaseOfAReleasedLock_IsRefusedAndNothingIsWritten()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        var released = await RedisTestHost.Lock(a).AcquireAsync(key, ct);
        await released.DisposeAsync();

        // Nobody took the lock since, so its fence is still the newest in Redis: only the
        // release itself tells the store that this lease no longer excludes anyone.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), released, ct).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => RedisTestHost.Store(a).RemoveAsync(key, released, ct).AsTask());

        Assert.Equal(released.FencingToken, (long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key)));
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", key)));
    }

    [Fact]
    public async Task SetAsync_LeaseWithoutFencingToken_ThrowsArgumentExceptionAndWritesNothing()
    {
        // What a FileRefreshLock or InProcessRefreshLock registered for the client in place of
        // the Redis lock would hand the store: a lock that excludes no other instance.
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var unfenced = await new InProcessRefreshLock().AcquireAsync(key, ct);

        var write = await Assert.ThrowsAsync<ArgumentException>(() => RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), unfenced, ct).AsTask());
        var delete = await Assert.ThrowsAsync<ArgumentException>(() => RedisTestHost.Store(a).RemoveAsync(key, unfenced, ct).AsTask());

        Assert.Null(unfenced.FencingToken);
        Assert.Equal("lease", write.ParamName);
        Assert.Contains("writes only under a lease of its Redis refresh lock", write.Message, StringComparison.Ordinal);
        Assert.Contains("Register no other IRefreshLock", delete.Message, StringComparison.Ordinal);
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", key)));
    }

    [Fact]
    public async Task SetAsync_LeaseOfAnotherStoreKey_ThrowsArgumentExceptionAndWritesNothing()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var other = await RedisTestHost.Lock(a).AcquireAsync("another store key", ct);

        var write = await Assert.ThrowsAsync<ArgumentException>(() => RedisTestHost.Store(a).SetAsync(key, Tokens(AccessA), other, ct).AsTask());

        Assert.Equal("lease", write.ParamName);
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", key)));
    }

    [Fact]
    public async Task AcquireAsync_HeldLongerThanLeaseByLiveHolder_TimesOutWithClearError()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance(o => o.LockLease = TimeSpan.FromSeconds(1));
        var b = host.AddInstance(o => { o.LockLease = TimeSpan.FromSeconds(1); o.LockWaitTimeout = TimeSpan.FromSeconds(2.5); });
        var key = RedisTestHost.Session(a).StoreKey;
        var ct = TestContext.Current.CancellationToken;
        var heldByA = await RedisTestHost.Lock(a).AcquireAsync(key, ct);

        var waited = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => RedisTestHost.Lock(b).AcquireAsync(key, ct).AsTask());
        waited.Stop();

        // A renewed its 1 s lease while it lived, so B waited its whole 2.5 s.
        Assert.InRange(waited.Elapsed, TimeSpan.FromSeconds(2.4), TimeSpan.FromSeconds(10));
        Assert.Contains("Redis refresh lock of client 'api'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("more than 2.5 s (LockWaitTimeout)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("The tokens are kept", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, RedisTestHost.LogCount(b, RedisTestHost.LockWaitTimedOutEvent));

        // Released: B gets it at once.
        await heldByA.DisposeAsync();
        await using var heldByB = await RedisTestHost.Lock(b).AcquireAsync(key, ct);
    }

    [Fact]
    public async Task AcquireAsync_CallerCancels_StopsWaitingAndLeavesTheLockUsable()
    {
        await using var host = await RedisTestHost.StartAsync();
        var a = host.AddInstance();
        var b = host.AddInstance();
        var key = RedisTestHost.Session(a).StoreKey;
        var ct = TestContext.Current.CancellationToken;
        var heldByA = await RedisTestHost.Lock(a).AcquireAsync(key, ct);
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RedisTestHost.Lock(b).AcquireAsync(key, impatient.Token).AsTask());

        await heldByA.DisposeAsync();
        await using var heldByB = await RedisTestHost.Lock(b).AcquireAsync(key, ct);
    }

    [Fact]
    public async Task AcquireAsync_TwoSessionsOfOneInstance_SecondQueuesLocallyWithoutTryingRedisAndGetsTheNextFence()
    {
        await using var host = await RedisTestHost.StartAsync();

        // The instance's connection is the test's, so the test can send a command behind
        // whatever the lock has sent on it.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(host.Redis.ConnectionString);
        var a = host.AddInstance(o =>
        {
            o.Configuration = null;
            o.ConnectionMultiplexerFactory = _ => connection;
        });
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        var refreshLock = RedisTestHost.Lock(a);

        var first = await refreshLock.AcquireAsync(key, ct);
        var leaseAttempts = await host.SetCommandsAsync();
        var second = refreshLock.AcquireAsync(key, ct).AsTask();

        // Redis answers a PING on this connection after everything sent on it before: had the
        // second acquisition tried the lease (the acquire script's SET NX), Redis would have run
        // it by now. It did not: it waits in this process, not by polling Redis.
        await connection.GetDatabase().PingAsync();
        Assert.Equal(leaseAttempts, await host.SetCommandsAsync());
        Assert.False(second.IsCompleted);
        Assert.Equal(first.FencingToken, (long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key)));

        // Released: the second takes the lease at its first try, with the next fencing token.
        await first.DisposeAsync();
        await using (await second)
        {
            Assert.Equal(leaseAttempts + 1, await host.SetCommandsAsync());
            Assert.Equal(first.FencingToken + 1, (long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key)));
        }
    }

    [Fact]
    public async Task AcquireAsync_AttemptTimedOutDuringFreezeRanWhenRedisResumed_AcquiresWithinTwoSecondsOfResumeInsteadOfWaitingOutItsOwnLease()
    {
        await using var host = await RedisTestHost.StartAsync();

        // The default 5 s lease; commands time out after 1 s.
        var a = host.AddInstance(o => o.Configuration = host.Redis.ConnectionStringWithTimeout(1000));
        var key = RedisTestHost.Session(a).StoreKey;
        var admin = await host.AdminAsync();
        var ct = TestContext.Current.CancellationToken;
        await (await RedisTestHost.Lock(a).AcquireAsync(key, ct)).DisposeAsync();

        // Frozen (SIGSTOP) for 3 s: the acquisition's attempts time out on the client, but the
        // ones already written to the socket are still run by Redis when it resumes.
        await host.Redis.PauseAsync();
        var acquiring = RedisTestHost.Lock(a).AcquireAsync(key, ct).AsTask();
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // Redis's downtime: another process, on the real clock.
        Assert.False(acquiring.IsCompleted);
        await host.Redis.ResumeAsync();
        var resumed = Stopwatch.StartNew();
        await using var lease = await acquiring.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var waited = resumed.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"acquired {waited.TotalSeconds:0.00} s after the resume");

        Assert.True(RedisTestHost.LogCount(a, RedisTestHost.RedisUnavailableEvent) >= 1);
        Assert.Equal((long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key)), lease.FencingToken);

        // A lease that one of this acquisition's own attempts took is this acquisition's: it
        // must not wait for it to run out (5 s) as if another holder had it.
        Assert.InRange(waited, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    /// <summary>A lease as another holder would carry it: a key and a fence, held by nobody here.</summary>
    private sealed record FixedLease(string Key, long? FencingToken) : IRefreshLease
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
