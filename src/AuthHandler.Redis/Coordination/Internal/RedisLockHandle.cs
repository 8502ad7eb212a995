using AuthHandler.Diagnostics.Internal;
using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// One held refresh lock: renews the lease every third of it while held, and on dispose stops
/// renewing, forgets the fence and deletes the lease if it is still its own.
/// </summary>
internal sealed class RedisLockHandle : IAsyncDisposable
{
    private readonly RedisRefreshLock _lock;
    private readonly IDatabase _database;
    private readonly string _storeKey;
    private readonly RedisKeys _keys;
    private readonly string _owner;
    private readonly long _fence;
    private readonly SemaphoreSlim _gate;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Task _renewing;
    private int _disposed;

    public RedisLockHandle(RedisRefreshLock refreshLock, IDatabase database, string storeKey, RedisKeys keys, string owner, long fence, SemaphoreSlim gate)
    {
        _lock = refreshLock;
        _database = database;
        _storeKey = storeKey;
        _keys = keys;
        _owner = owner;
        _fence = fence;
        _gate = gate;
        _renewing = refreshLock.RenewsLease ? RenewUntilReleasedAsync(_stopRenewing.Token) : Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _stopRenewing.CancelAsync().ConfigureAwait(false);
            await _renewing.ConfigureAwait(false);
            _stopRenewing.Dispose();
            _lock.Held.Forget(_storeKey, _fence);
            try
            {
                await RedisRefreshLock.ReleaseAsync(_database, _keys, _owner).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                // Not an error for the refresh that is done: the lease runs out by itself.
                RedisLog.LockReleaseFailed(_lock.Logger, _lock.ClientName, _keys.Id, ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Never throws: a failed renewal is logged and tried again until the lease is gone.</summary>
    private async Task RenewUntilReleasedAsync(CancellationToken stop)
    {
        var interval = _lock.Lease / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
                bool renewed;
                try
                {
                    renewed = await _lock.RenewAsync(_database, _keys, _owner).ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    RedisLog.LeaseRenewalFailed(_lock.Logger, _lock.ClientName, _keys.Id, ex);
                    continue;
                }

                if (!renewed)
                {
                    // The lease ran out (a pause longer than the lease) and may be someone
                    // else's now; the fence keeps this holder's late writes out.
                    RedisLog.LeaseLost(_lock.Logger, _lock.ClientName, _keys.Id, _fence);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
