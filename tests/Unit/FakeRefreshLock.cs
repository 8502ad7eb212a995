namespace AuthHandler.Tests.Unit;

/// <summary>
/// A refresh lock that is always free (or fails as told), hands out leases that know whether they
/// were released, and runs <see cref="OnAcquired"/> once it has the lock — where another process's
/// write, made while this one waited, goes.
/// </summary>
internal sealed class FakeRefreshLock : IRefreshLock
{
    private readonly List<Lease> _leases = [];

    /// <summary>The fencing token of every lease (null: a lock that cannot be lost while held).</summary>
    public long? FencingToken { get; init; }

    /// <summary>What acquiring throws while set (a lock held elsewhere too long, an unreachable lock server).</summary>
    public Exception? Failure { get; set; }

    public Action<Lease>? OnAcquired { get; set; }

    /// <summary>Every lease handed out, in order.</summary>
    public IReadOnlyList<Lease> Leases
    {
        get
        {
            lock (_leases)
            {
                return [.. _leases];
            }
        }
    }

    public int Acquired => Leases.Count;

    public ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        if (Failure is { } failure)
        {
            return ValueTask.FromException<IRefreshLease>(failure);
        }

        var lease = new Lease(key, FencingToken);
        lock (_leases)
        {
            _leases.Add(lease);
        }

        OnAcquired?.Invoke(lease);
        return ValueTask.FromResult<IRefreshLease>(lease);
    }

    internal sealed class Lease(string key, long? fencingToken) : IRefreshLease
    {
        private int _released;

        public string Key => key;

        public long? FencingToken => fencingToken;

        public bool Released => Volatile.Read(ref _released) == 1;

        public ValueTask DisposeAsync()
        {
            Volatile.Write(ref _released, 1);
            return ValueTask.CompletedTask;
        }
    }
}
