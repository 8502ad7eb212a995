namespace AuthHandler.Tests.Redis;

/// <summary>
/// The refresh lock an instance would use anyway, counting the acquisitions that have started and
/// not ended, so a test sees an instance wait for the lock instead of timing it.
/// </summary>
internal sealed class ObservedRefreshLock(IRefreshLock inner) : IRefreshLock
{
    private int _acquiring;

    /// <summary>How many acquisitions are running now.</summary>
    public int Acquiring => Volatile.Read(ref _acquiring);

    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _acquiring);
        try
        {
            return await inner.AcquireAsync(key, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _acquiring);
        }
    }
}
