using System.Collections.Concurrent;
using System.Globalization;
using AuthHandler.Diagnostics.Internal;
using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The refresh lock shared by every instance that uses one Redis: a lease (<c>SET NX PX</c>)
/// owned by a random id, renewed by its live holder, released only by its owner, and a fencing
/// token (<c>INCR</c> on every acquisition) that the store's writes check, so a holder whose lease
/// ran out cannot overwrite what the next holder wrote.
/// </summary>
/// <remarks>
/// Waiting polls with exponential back-off and jitter on the real clock (the other instances and
/// Redis's lease run on it), bounded by <see cref="RedisTokenCoordinationOptions.LockWaitTimeout"/>
/// and the caller's cancellation. Redis being unreachable is waited out the same way (a restart,
/// a failover); only when it stays unreachable for the whole wait does the acquisition fail, with
/// a transient <see cref="TokenStoreException"/>: the session keeps its tokens.
/// </remarks>
internal sealed class RedisRefreshLock : IRefreshLock
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);

    private readonly RedisConnection _connection;
    private readonly RedisLockSettings _settings;

    // One local gate per store key for the life of the process (the keys are the configured
    // sign-ins): sessions of this process queue here, so only one of them polls Redis.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _localGates = new(StringComparer.Ordinal);

    public RedisRefreshLock(RedisConnection connection, RedisLockSettings settings)
    {
        _connection = connection;
        _settings = settings;
    }

    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keys = RedisKeys.For(_settings.KeyPrefix, key);
        var started = TimeProvider.System.GetTimestamp();

        var gate = _localGates.GetOrAdd(key, static _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(_settings.WaitTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw WaitTimedOut(keys);
        }

        try
        {
            var owner = Guid.NewGuid().ToString("N");
            var leaseMilliseconds = (long)_settings.Lease.TotalMilliseconds;
            var delay = FirstRetryDelay;
            Exception? outage = null;
            var outageLogged = false;
            while (true)
            {
                IDatabase? database = null;
                long fence = 0;
                try
                {
                    database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
                    var result = await database.ScriptEvaluateAsync(RedisScripts.Acquire, [keys.Lock, keys.Fence], [owner, leaseMilliseconds, TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds()])
                        .WaitAsync(cancellationToken)
                        .ConfigureAwait(false);
                    fence = (long)result;
                    outage = null;
                }
                catch (OperationCanceledException)
                {
                    // The script may have run after all: give back a lease nobody will use
                    // rather than leave it to expire. Compare-and-delete, so it is safe if it did not.
                    if (database is not null)
                    {
                        _ = ReleaseQuietlyAsync(database, keys, owner);
                    }

                    throw;
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    // Redis restarting or unreachable for a moment: keep trying within the wait,
                    // as for a lock held elsewhere, so that a short outage delays the refresh
                    // instead of failing it. Logged once per acquisition.
                    if (!outageLogged)
                    {
                        RedisLog.RedisUnavailable(_settings.Logger, _settings.ClientName, "refresh lock", ex);
                        outageLogged = true;
                    }

                    outage = ex;
                }

                if (fence > 0)
                {
                    RedisLog.LockAcquired(_settings.Logger, _settings.ClientName, keys.Id, fence);
                    return new RedisRefreshLease(_settings, database!, key, keys, owner, fence, gate);
                }

                var remaining = _settings.WaitTimeout - TimeProvider.System.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw outage is null ? WaitTimedOut(keys) : RedisFailure.Unavailable("refresh lock", _settings.ClientName, outage);
                }

                // Jitter, so that waiting instances do not retry in lock step.
                var jittered = delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1));
                await Task.Delay(jittered < remaining ? jittered : remaining, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private async Task ReleaseQuietlyAsync(IDatabase database, RedisKeys keys, string owner)
    {
        try
        {
            await RedisRefreshLease.ReleaseAsync(database, keys, owner).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.LockReleaseFailed(_settings.Logger, _settings.ClientName, keys.Id, ex);
        }
    }

    private TimeoutException WaitTimedOut(RedisKeys keys)
    {
        RedisLog.LockWaitTimedOut(_settings.Logger, _settings.ClientName, keys.Id, (long)_settings.WaitTimeout.TotalMilliseconds);
        return new TimeoutException(string.Create(
            CultureInfo.InvariantCulture,
            $"Another session or instance held the Redis refresh lock of client '{_settings.ClientName}' (key {keys.Lock}) for more than {_settings.WaitTimeout.TotalSeconds:0.###} s (LockWaitTimeout); gave up waiting. A live holder renews its {_settings.Lease.TotalSeconds:0.###} s lease, a crashed one loses it when the lease runs out. The tokens are kept; the next request tries again."));
    }
}
