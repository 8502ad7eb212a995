using AuthHandler.Diagnostics.Internal;
using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// One held Redis refresh lock: carries its fencing token to the store's writes, renews the lease
/// every third of it while held, and on dispose stops renewing and deletes the lease if it is
/// still its own.
/// </summary>
internal sealed class RedisRefreshLease : IRefreshLease
{
    private readonly RedisLockSettings _settings;
    private readonly IDatabase _database;
    private readonly RedisKeys _keys;
    private readonly string _owner;
    private readonly long _fence;
    private readonly SemaphoreSlim _localGate;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Task _renewing;
    private int _released;

    public RedisRefreshLease(RedisLockSettings settings, IDatabase database, string storeKey, RedisKeys keys, string owner, long fence, SemaphoreSlim localGate)
    {
        _settings = settings;
        _database = database;
        Key = storeKey;
        _keys = keys;
        _owner = owner;
        _fence = fence;
        _localGate = localGate;
        _renewing = settings.RenewsLease ? RenewUntilReleasedAsync(_stopRenewing.Token) : Task.CompletedTask;
    }

    public string Key { get; }

    public long? FencingToken => _fence;

    /// <summary>
    /// Gets a value indicating whether this lease was disposed. Its fence may still be the newest
    /// in Redis (nobody took the lock since), so the store checks this as well.
    /// </summary>
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Compare-and-delete: removes the lease only while <paramref name="owner"/> holds it, never someone else's.</summary>
    public static async Task ReleaseAsync(IDatabase database, RedisKeys keys, string owner) =>
        await database.ScriptEvaluateAsync(RedisScripts.Release, [keys.Lock], [owner]).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        try
        {
            await _stopRenewing.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _stopRenewing.Dispose();
            try
            {
                await ReleaseAsync(_database, _keys, _owner).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                // Not an error for the refresh that is done: the lease runs out by itself.
                RedisLog.LockReleaseFailed(_settings.Logger, _settings.ClientName, _keys.Id, ex);
            }
        }
        finally
        {
            _localGate.Release();
        }
    }

    /// <summary>Never throws: a failed renewal is logged and tried again until the lease is gone.</summary>
    private async Task RenewUntilReleasedAsync(CancellationToken stop)
    {
        var interval = _settings.Lease / 3;
        var leaseMilliseconds = (long)_settings.Lease.TotalMilliseconds;
        try
        {
            while (true)
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
                bool renewed;
                try
                {
                    renewed = (long)await _database.ScriptEvaluateAsync(RedisScripts.Renew, [_keys.Lock], [_owner, leaseMilliseconds]).ConfigureAwait(false) == 1;
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    RedisLog.LeaseRenewalFailed(_settings.Logger, _settings.ClientName, _keys.Id, ex);
                    continue;
                }

                if (!renewed)
                {
                    // The lease ran out (a pause longer than the lease) and may be someone
                    // else's now; the fence keeps this holder's late writes out.
                    RedisLog.LeaseLost(_settings.Logger, _settings.ClientName, _keys.Id, _fence);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
