using System.Collections.Concurrent;

namespace AuthHandler;

/// <summary>
/// A refresh lock that serialises refreshes of the same key within this process, for sessions
/// of different clients that share one sign-in. It does not coordinate other processes.
/// </summary>
public sealed class InProcessRefreshLock : IRefreshLock
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);

        // One semaphore per key for the life of the process: the set of keys is the set of
        // configured clients, so it stays small.
        var semaphore = _locks.GetOrAdd(key, static _ => new SemaphoreSlim(1, 1));
        await semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(key, semaphore);
    }

    /// <summary>No fencing token: the lock is held until released, it cannot run out.</summary>
    private sealed class Lease(string key, SemaphoreSlim semaphore) : IRefreshLease
    {
        private SemaphoreSlim? _semaphore = semaphore;

        public string Key => key;

        public long? FencingToken => null;

        public ValueTask DisposeAsync()
        {
            Interlocked.Exchange(ref _semaphore, null)?.Release();
            return ValueTask.CompletedTask;
        }
    }
}
