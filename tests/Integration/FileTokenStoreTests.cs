using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class FileTokenStoreTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const int StoreUnreadable = 20;

    [Fact]
    public async Task SetAsync_CreatesOwnerOnlyDirectoryAndFile_AndRoundTrips()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        var now = host.Time.GetUtcNow();
        var tokens = new TokenSet(Access1, now.AddHours(1))
        {
            RefreshToken = Refresh1,
            RefreshTokenExpiresAt = now.AddDays(30),
            Scope = "read",
            IssuedAt = now,
        };

        await AuthTestHost.WriteAsync(store, "key", tokens);
        var loaded = await store.GetAsync("key", TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.Equal(Access1, loaded.AccessToken);
        Assert.Equal(Refresh1, loaded.RefreshToken);
        Assert.Equal(tokens.ExpiresAt, loaded.ExpiresAt);
        Assert.Equal(tokens.RefreshTokenExpiresAt, loaded.RefreshTokenExpiresAt);
        Assert.Equal("read", loaded.Scope);
        Assert.Equal(now, loaded.IssuedAt);
        Assert.Single(Directory.GetFiles(host.Directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.PathFor("key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(host.Directory));
        }
    }

    [Fact]
    public async Task SetAsync_LeaseOfAnotherKey_ThrowsArgumentExceptionAndWritesNoFile()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        await using var other = await new FileRefreshLock(host.Directory).AcquireAsync("other", TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.SetAsync("key", new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)), other, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("lease", ex.ParamName);
        Assert.False(File.Exists(store.PathFor("key")));
    }

    [Fact]
    public async Task RemoveAsync_LeaseOfAnotherKey_ThrowsArgumentExceptionAndKeepsTheFile()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        await AuthTestHost.WriteAsync(store, "key", new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)));
        await using var other = await new FileRefreshLock(host.Directory).AcquireAsync("other", TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.RemoveAsync("key", other, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("lease", ex.ParamName);
        Assert.True(File.Exists(store.PathFor("key")));
    }

    [Fact]
    public async Task GetAsync_CrashBetweenTempWriteAndRename_OldTokensStillLoad()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        await AuthTestHost.WriteAsync(store, "key", new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 });

        // What a crash after writing the temporary file and before the rename leaves behind.
        var path = store.PathFor("key");
        await File.WriteAllTextAsync(Path.Combine(host.Directory, "." + Path.GetFileName(path) + ".0123.tmp"), "{\"access_token\":\"half", TestContext.Current.CancellationToken);

        var loaded = await store.GetAsync("key", TestContext.Current.CancellationToken);

        Assert.Equal(Refresh1, loaded!.RefreshToken);
    }

    [Fact]
    public async Task RemoveAsync_LeavesAnOwnerOnlySignOutRecordThatReadsAsNoTokensUntilTheNextSet()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        await AuthTestHost.WriteAsync(store, "key", new TokenSet("at-1", DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = Refresh1 });
        await using (var lease = await new InProcessRefreshLock().AcquireAsync("key", TestContext.Current.CancellationToken))
        {
            await store.RemoveAsync("key", lease, TestContext.Current.CancellationToken);
        }

        var path = store.PathFor("key");
        Assert.True(File.Exists(path));
        Assert.DoesNotContain("rt-1", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Null(await store.GetAsync("key", TestContext.Current.CancellationToken));
        var entry = await AuthHandler.Storage.Internal.StoreEntry.ReadAsync(store, "key", TestContext.Current.CancellationToken);
        Assert.True(entry.SignedOut);

        await AuthTestHost.WriteAsync(store, "key", new TokenSet("at-2", DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal("at-2", (await store.GetAsync("key", TestContext.Current.CancellationToken))!.AccessToken);
    }

    [Fact]
    public async Task GetAsync_UnknownAndMissingFields_StillLoad()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var store = host.FileStore;
        Directory.CreateDirectory(host.Directory);
        await File.WriteAllTextAsync(store.PathFor("key"), """
            { "version": 7, "access_token": "a", "expires_at": "2026-01-01T13:00:00+00:00", "future_field": { "x": [1, 2] } }
            """, TestContext.Current.CancellationToken);

        var loaded = await store.GetAsync("key", TestContext.Current.CancellationToken);

        Assert.Equal("a", loaded!.AccessToken);
        Assert.Null(loaded.RefreshToken);
        Assert.Equal("Bearer", loaded.TokenType);
    }

    [Theory]
    [InlineData("{\"access_token\":\"at-1-SECRET\",\"refresh_tok")]
    [InlineData("garbage \u0001\u0002")]
    [InlineData("[]")]
    [InlineData("{\"refresh_token\":\"rt-1-SECRET\"}")]
    public async Task Session_CorruptedTokenFile_IsSignedOutAndFileIsLeftUntouched(string content)
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var path = host.FileStore.PathFor(host.Session.StoreKey);
        Directory.CreateDirectory(host.Directory);
        await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);
        var before = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        var signals = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, args) => signals.Add(args.Reason);

        var first = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();
        host.Time.Advance(TimeSpan.FromSeconds(6));
        var second = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
        Assert.Equal([SignInRequiredReason.TokenStoreUnreadable], signals);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == StoreUnreadable);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task Session_DefaultStore_IsAFileBesideTheDeviceId()
    {
        await using var host = AuthTestHost.Start(fileStore: true);

        await host.Session.SetTokensAsync(new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 }, TestContext.Current.CancellationToken);

        Assert.True(File.Exists(host.FileStore.PathFor(host.Session.StoreKey)));
        Assert.True(File.Exists(Path.Combine(host.Directory, "device_id")));
    }

    [Fact]
    public async Task Session_SignedOut_NoticesASignInByAnotherProcess()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        host.ApiAccepts(Access1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        // Another process signs in and writes the file.
        await AuthTestHost.WriteAsync(host.FileStore, host.Session.StoreKey, new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1, IssuedAt = host.Time.GetUtcNow() });
        host.Time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }
}
