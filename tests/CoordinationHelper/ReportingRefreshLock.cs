namespace AuthHandler.CoordinationHelper;

/// <summary>
/// The helper's refresh lock: the file lock the session would use anyway, reporting on stdout
/// when a refresh finds it held by another process (<c>waiting-for-lock</c>) and when it gets it
/// (<c>lock-acquired</c>), so the test observes the wait itself instead of timing it.
/// </summary>
internal sealed class ReportingRefreshLock(FileRefreshLock inner) : IRefreshLock
{
    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        // A free file lock is taken synchronously; an acquisition still running has tried the
        // file, found it held, and is polling. This process runs one refresh at a time, so the
        // in-process queue in front of the file is never what it waits on.
        var acquiring = inner.AcquireAsync(key, cancellationToken);
        if (!acquiring.IsCompleted)
        {
            Console.WriteLine("waiting-for-lock");
        }

        var handle = await acquiring;
        Console.WriteLine("lock-acquired");
        return handle;
    }
}
