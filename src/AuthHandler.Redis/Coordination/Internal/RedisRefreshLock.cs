using System.Globalization;
using AuthHandler.Diagnostics.Internal;
using Microsoft.Extensions.Logging;
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
/// and the caller's cancellation. A Redis failure ends the wait at once with a transient
/// <see cref="TokenStoreException"/>: the session keeps its tokens.
/// </remarks>
internal sealed class RedisRefreshLock : IRefreshLock
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);

    private readonly RedisConnection _connection;
    private readonly HeldLocks _held;
    private readonly string _clientName;
    private readonly string _keyPrefix;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _waitTimeout;
    private readonly bool _renewLease;
    private readonly ILogger _logger;

    public RedisRefreshLock(RedisConnection connection, HeldLocks held, string clientName, RedisTokenCoordinationOptions options, ILogger logger)
    {
        _connection = connection;
        _held = held;
        _clientName = clientName;
        _keyPrefix = options.KeyPrefix;
        _lease = options.LockLease;
        _waitTimeout = options.LockWaitTimeout;
        _renewLease = options.RenewLease;
        _logger = logger;
    }

    public string ClientName => _clientName;

    public ILogger Logger => _logger;

    public TimeSpan Lease => _lease;

    public bool RenewsLease => _renewLease;

    public HeldLocks Held => _held;

    public async ValueTask<IAsyncDisposable> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keys = RedisKeys.For(_keyPrefix, key);
        var started = TimeProvider.System.GetTimestamp();

        // Sessions of this process queue here first, so only one of them polls Redis.
        var gate = _held.GateFor(key);
        if (!await gate.WaitAsync(_waitTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw WaitTimedOut(keys);
        }

        try
        {
            IDatabase database;
            try
            {
                database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailure.Is(ex))
            {
                RedisLog.RedisUnavailable(_logger, _clientName, "refresh lock", ex);
                throw RedisFailure.Unavailable("refresh lock", _clientName, ex);
            }

            var owner = Guid.NewGuid().ToString("N");
            var leaseMilliseconds = (long)_lease.TotalMilliseconds;
            var delay = FirstRetryDelay;
            while (true)
            {
                long fence;
                try
                {
                    var result = await database.ScriptEvaluateAsync(RedisScripts.Acquire, [keys.Lock, keys.Fence], [owner, leaseMilliseconds])
                        .WaitAsync(cancellationToken)
                        .ConfigureAwait(false);
                    fence = (long)result;
                }
                catch (OperationCanceledException)
                {
                    // The script may have run after all: give back a lease nobody will use
                    // rather than leave it to expire. Compare-and-delete, so it is safe if it did not.
                    _ = ReleaseQuietlyAsync(database, keys, owner);
                    throw;
                }
                catch (Exception ex) when (RedisFailure.Is(ex))
                {
                    RedisLog.RedisUnavailable(_logger, _clientName, "refresh lock", ex);
                    throw RedisFailure.Unavailable("refresh lock", _clientName, ex);
                }

                if (fence > 0)
                {
                    _held.Hold(key, fence);
                    RedisLog.LockAcquired(_logger, _clientName, keys.Id, fence);
                    return new RedisLockHandle(this, database, key, keys, owner, fence, gate);
                }

                var remaining = _waitTimeout - TimeProvider.System.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw WaitTimedOut(keys);
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

    /// <summary>Extends the lease while its owner still holds it; false once someone else does.</summary>
    public async Task<bool> RenewAsync(IDatabase database, RedisKeys keys, string owner) =>
        (long)await database.ScriptEvaluateAsync(RedisScripts.Renew, [keys.Lock], [owner, (long)_lease.TotalMilliseconds]).ConfigureAwait(false) == 1;

    public static async Task ReleaseAsync(IDatabase database, RedisKeys keys, string owner) =>
        await database.ScriptEvaluateAsync(RedisScripts.Release, [keys.Lock], [owner]).ConfigureAwait(false);

    private async Task ReleaseQuietlyAsync(IDatabase database, RedisKeys keys, string owner)
    {
        try
        {
            await ReleaseAsync(database, keys, owner).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.LockReleaseFailed(_logger, _clientName, keys.Id, ex);
        }
    }

    private TimeoutException WaitTimedOut(RedisKeys keys)
    {
        RedisLog.LockWaitTimedOut(_logger, _clientName, keys.Id, (long)_waitTimeout.TotalMilliseconds);
        return new TimeoutException(string.Create(
            CultureInfo.InvariantCulture,
            $"Another session or instance held the Redis refresh lock of client '{_clientName}' (key {keys.Lock}) for more than {_waitTimeout.TotalSeconds:0.###} s (LockWaitTimeout); gave up waiting. A live holder renews its {_lease.TotalSeconds:0.###} s lease, a crashed one loses it when the lease runs out. The tokens are kept; the next request tries again."));
    }
}
