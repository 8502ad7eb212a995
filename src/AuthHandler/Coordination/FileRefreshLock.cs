using AuthHandler.Device.Internal;

namespace AuthHandler;

/// <summary>
/// A refresh lock shared by every process of the user: an exclusive OS lock on a lock file beside
/// the token file (<c>tokens-….lock</c>). The operating system releases it when the holder exits
/// or dies, so a crash never leaves a stale lock behind. It is the default with
/// <see cref="FileTokenStore"/>.
/// </summary>
/// <remarks>
/// The lock file itself stays in place; only the OS lock on it comes and goes. Waiting uses the
/// real clock (the other processes run on it), polling with back-off and jitter, and gives up
/// with a <see cref="TimeoutException"/> after the timeout.
/// </remarks>
public sealed class FileRefreshLock : IRefreshLock
{
    // Sessions of this process queue here first, so only one of them polls the file.
    private static readonly InProcessRefreshLock InProcess = new();

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>Creates a lock for the token files in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory of the token files.</param>
    /// <param name="timeout">How long to wait for another process; 60 seconds when not given.</param>
    public FileRefreshLock(string directory, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        Timeout = timeout ?? DeviceAuthConstants.RefreshLockTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
    }

    /// <summary>Gets the directory of the lock files.</summary>
    public string Directory { get; }

    /// <summary>Gets how long <see cref="AcquireAsync"/> waits for another process before it gives up.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The path of the lock file for <paramref name="key"/>, beside the token file.</summary>
    internal string PathFor(string key) => Path.Combine(Directory, FileTokenStore.FileNameFor(key, ".lock"));

    /// <inheritdoc />
    /// <exception cref="TimeoutException">Another process held the lock for longer than <see cref="Timeout"/>.</exception>
    /// <exception cref="TokenStoreException">The directory or the lock file cannot be created or
    /// opened (no permission, a path under a regular file, a read-only disk). Reported as transient:
    /// the session keeps its tokens, and the next refresh tries again.</exception>
    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        var inProcess = await InProcess.AcquireAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                OwnerOnly.CreateDirectory(Directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw CannotOpen(path, ex);
            }

            var started = TimeProvider.System.GetTimestamp();
            var delay = FirstRetryDelay;
            while (true)
            {
                if (TryOpenExclusive(path) is { } held)
                {
                    return new Lease(key, held, inProcess);
                }

                if (TimeProvider.System.GetElapsedTime(started) >= Timeout)
                {
                    throw new TimeoutException($"Another process has held the refresh lock {path} for more than {Timeout.TotalSeconds:0} s.");
                }

                // Jitter, so that waiting processes do not retry in lock step.
                var jittered = delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)delay.TotalMilliseconds + 1));
                await Task.Delay(jittered, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
        catch
        {
            await inProcess.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens the lock file exclusively: on Unix .NET takes an advisory <c>flock(LOCK_EX)</c> for
    /// <see cref="FileShare.None"/>, on Windows the open itself is exclusive. Null while another
    /// process holds it.
    /// </summary>
    private static FileStream? TryOpenExclusive(string path)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            return new FileStream(path, options);
        }
        catch (IOException ex) when (ex.GetType() == typeof(IOException))
        {
            // The lock is held: the sharing violation (Windows) or EWOULDBLOCK from flock (Unix)
            // is a plain IOException. Its subtypes and UnauthorizedAccessException mean the file
            // cannot be had at all, and waiting would only delay the error until the timeout.
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotOpen(path, ex);
        }
    }

    private static TokenStoreException CannotOpen(string path, Exception ex) =>
        new($"The refresh lock file {path} cannot be created or opened: {ex.Message}", isTransient: true, ex);

    /// <summary>No fencing token: the OS keeps the lock until it is released or the process exits.</summary>
    private sealed class Lease(string key, FileStream file, IAsyncDisposable inProcess) : IRefreshLease
    {
        private int _disposed;

        public string Key => key;

        public long? FencingToken => null;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await file.DisposeAsync().ConfigureAwait(false);
                await inProcess.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
