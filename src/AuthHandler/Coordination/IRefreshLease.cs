namespace AuthHandler;

/// <summary>
/// A held <see cref="IRefreshLock"/>: what <see cref="IRefreshLock.AcquireAsync"/> returns, and
/// what every <see cref="ITokenStore"/> write takes, so that a store can tell which lock the write
/// is made under. Disposing it releases the lock.
/// </summary>
/// <remarks>
/// A lock that can be lost while its holder still runs (a lease that expires on a server while
/// the holder is paused) gives a <see cref="FencingToken"/>; a store that keeps its entries in the
/// same place can then refuse the late write of a holder whose lease ran out, so it cannot
/// overwrite what the next holder wrote. Locks that are held until released or until the holder
/// exits (<see cref="InProcessRefreshLock"/>, <see cref="FileRefreshLock"/>) have none.
/// </remarks>
public interface IRefreshLease : IAsyncDisposable
{
    /// <summary>Gets the store key the lock was acquired for.</summary>
    string Key { get; }

    /// <summary>
    /// Gets the fencing token of this acquisition: a number that grows with every acquisition of
    /// the lock on <see cref="Key"/> by any holder, so a write that carries an older one comes from
    /// a holder that has lost the lock. <see langword="null"/> for locks that cannot be lost while held.
    /// </summary>
    long? FencingToken { get; }
}
