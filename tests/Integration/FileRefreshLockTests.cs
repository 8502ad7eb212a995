namespace AuthHandler.Tests.Integration;

public sealed class FileRefreshLockTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-lock-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AcquireAsync_HeldElsewhere_TimesOutWithClearError()
    {
        var refreshLock = new FileRefreshLock(_directory, TimeSpan.FromMilliseconds(200));
        Directory.CreateDirectory(_directory);

        // Another holder of the OS lock (as another process would be).
        await using (new FileStream(refreshLock.PathFor("key"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var ex = await Assert.ThrowsAsync<TimeoutException>(() => refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken).AsTask());

            Assert.Contains(refreshLock.PathFor("key"), ex.Message, StringComparison.Ordinal);
        }

        // Released: the lock can be had, and the lock file stays in place (no stale marker logic).
        await using (await refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken))
        {
            Assert.True(File.Exists(refreshLock.PathFor("key")));
        }
    }

    [Fact]
    public async Task AcquireAsync_SameProcess_SerialisesAndCancels()
    {
        var refreshLock = new FileRefreshLock(_directory);
        var first = await refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken);
        using var cancellation = new CancellationTokenSource();

        var second = refreshLock.AcquireAsync("key", cancellation.Token).AsTask();
        Assert.False(second.IsCompleted);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        await first.DisposeAsync();
        await using (await refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken))
        {
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(refreshLock.PathFor("key")));
            }
        }
    }

    [Fact]
    public async Task AcquireAsync_Lease_CarriesTheStoreKeyAndNoFencingToken()
    {
        await using var lease = await new FileRefreshLock(_directory).AcquireAsync("key", TestContext.Current.CancellationToken);

        // The store key, not the lock file's path: the store compares it with the key it writes.
        Assert.Equal("key", lease.Key);
        Assert.Null(lease.FencingToken);
    }

    [Fact]
    public async Task AcquireAsync_DirectoryUnderARegularFile_ThrowsTransientTokenStoreException()
    {
        Directory.CreateDirectory(_directory);
        var file = Path.Combine(_directory, "file");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var refreshLock = new FileRefreshLock(Path.Combine(file, "sub"));

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken).AsTask());

        Assert.True(ex.IsTransient);
        Assert.Contains(refreshLock.PathFor("key"), ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task AcquireAsync_LockPathIsADirectory_ThrowsAtOnceInsteadOfWaitingForTheTimeout()
    {
        // A timeout the test would notice: the failure must not be mistaken for another holder.
        var refreshLock = new FileRefreshLock(_directory, TimeSpan.FromMinutes(10));
        Directory.CreateDirectory(refreshLock.PathFor("key"));

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken).AsTask());

        Assert.True(ex.IsTransient);

        // The in-process queue was released: a second attempt fails the same way instead of hanging.
        await Assert.ThrowsAsync<TokenStoreException>(() => refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken).AsTask());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
