using System.Diagnostics;
using System.Text.Json;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// <see cref="CredentialTokenStore"/> against a real Secret Service (gnome-keyring on a private
/// D-Bus session bus). What the keyring holds is read back with secret-tool, not with the store.
/// </summary>
public sealed class CredentialTokenStoreTests
{
    private const string Secret = "SECRET";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(15);

    private static TokenSet Tokens(string suffix = "1", string? redeeming = null) => new("at-" + suffix + "-" + Secret, Now.AddHours(1))
    {
        RefreshToken = "rt-" + suffix + "-" + Secret,
        IssuedAt = Now,
        Scope = "openid",
        Redeeming = redeeming,
    };

    private static CredentialTokenStore Store(PrivateSecretService keyring, bool fallBack = false, ILogger? logger = null, string? address = null) =>
        new(keyring.StoreDirectory, fallBack, logger, () => new SecretServiceBackend(address ?? keyring.Address));

    private static async Task WriteAsync(CredentialTokenStore store, TokenSet tokens)
    {
        await using var lease = await new FileRefreshLock(store.Directory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        await store.SetAsync(StoredItem.Key, tokens, lease, TestContext.Current.CancellationToken);
    }

    private static async Task AssertMovedRecordAsync(string directory) =>
        StoredItem.AssertMovedRecord(await File.ReadAllTextAsync(StoredItem.FilePath(directory), TestContext.Current.CancellationToken));

    private static async Task WriteFileAsync(string directory, TokenSet tokens)
    {
        await using var seed = await new FileRefreshLock(directory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        await new FileTokenStore(directory).SetAsync(StoredItem.Key, tokens, seed, TestContext.Current.CancellationToken);
    }

    private static async Task TakeLockAsync(CredentialTokenStore store)
    {
        var lease = await store.CreateRefreshLock().AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        await lease.DisposeAsync();
    }

    [Fact]
    public async Task SetAsync_UnlockedKeyring_ItemHoldsTheTokenRecordAndNoTokenFileIsWritten()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);

        await WriteAsync(store, Tokens(redeeming: "marker-1"));

        var item = await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory));
        Assert.NotNull(item);
        using var record = JsonDocument.Parse(item);
        Assert.Equal("at-1-" + Secret, record.RootElement.GetProperty("access_token").GetString());
        Assert.Equal("rt-1-" + Secret, record.RootElement.GetProperty("refresh_token").GetString());
        Assert.Equal("marker-1", record.RootElement.GetProperty("redeeming").GetString());
        Assert.False(File.Exists(StoredItem.FilePath(keyring.StoreDirectory)));
        Assert.Empty(Directory.Exists(keyring.StoreDirectory) ? Directory.GetFiles(keyring.StoreDirectory, "tokens-*.json") : []);

        var read = await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        Assert.Equal("at-1-" + Secret, read?.AccessToken);
        Assert.Equal("rt-1-" + Secret, read?.RefreshToken);
        Assert.Equal("marker-1", read?.Redeeming);
    }

    [Fact]
    public async Task SetAsync_DPoPBoundTokens_ItemHoldsTheKeyBesideTheTokensAndTheSignOutRemovesIt()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        var key = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKey());
        var tokens = Tokens();

        await WriteAsync(store, new TokenSet(tokens.AccessToken, tokens.ExpiresAt) { TokenType = "DPoP", RefreshToken = tokens.RefreshToken, IssuedAt = Now, DPoPKey = key });

        var item = await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory));
        using (var record = JsonDocument.Parse(item!))
        {
            Assert.Equal(key, record.RootElement.GetProperty("dpop_key").GetString());
            Assert.Equal("rt-1-" + Secret, record.RootElement.GetProperty("refresh_token").GetString());
        }

        var read = await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        Assert.Equal(key, read?.DPoPKey);
        Assert.Equal("DPoP", read?.TokenType);

        await using (var lease = await new FileRefreshLock(store.Directory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await store.RemoveAsync(StoredItem.Key, lease, TestContext.Current.CancellationToken);
        }

        Assert.Null(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.DoesNotContain(key, await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_TwiceForOneKey_ReplacesTheOneItem()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);

        await WriteAsync(store, Tokens("1"));
        await WriteAsync(store, Tokens("2"));

        Assert.Equal(1, await keyring.CountAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.Equal("rt-2-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
    }

    [Fact]
    public async Task GetAsync_StoresOfTwoDirectories_DoNotShareAnItem()
    {
        // Two directories are two refresh locks: sharing one item would let two holders redeem it.
        await using var keyring = await PrivateSecretService.StartAsync();
        await WriteAsync(Store(keyring), Tokens());
        var other = new CredentialTokenStore(Path.Combine(keyring.Root, "other"), false, null, () => new SecretServiceBackend(keyring.Address));

        Assert.Null(await other.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetAsync_NothingStored_ReturnsNullAndReadsAsLostNotSignedOut()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);

        Assert.Null(await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken));
        var entry = await ((ISignOutRecordingStore)store).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        Assert.True(entry.IsLost);
    }

    [Theory]
    [InlineData("{\"access_token\": \"at-SECRET\", \"expires_at\": ")]
    [InlineData("not json at all SECRET")]
    [InlineData("{\"refresh_token\": \"rt-SECRET\"}")]
    public async Task GetAsync_CorruptedItem_ThrowsNonTransientWithoutItsContent(string corrupted)
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        await keyring.StoreAsync(corrupted, StoredItem.Attributes(keyring.StoreDirectory));

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => Store(keyring).GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask());

        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("sign in again", ex.Message, StringComparison.Ordinal);
        Assert.Equal(corrupted, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
    }

    [Fact]
    public async Task RemoveAsync_StoredTokens_DeletesTheItemAndLeavesASignOutRecordWithoutSecretsThenANewSignInLeavesAMovedRecord()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteAsync(store, Tokens());

        await using (var lease = await new FileRefreshLock(store.Directory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await store.RemoveAsync(StoredItem.Key, lease, TestContext.Current.CancellationToken);
        }

        Assert.Null(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        var file = await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(Secret, file, StringComparison.Ordinal);
        var entry = await ((ISignOutRecordingStore)store).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        Assert.True(entry.SignedOut);
        Assert.Null(entry.Tokens);

        // A new sign-in replaces the record: the item is back, the file says the tokens moved
        // (gone, it would read as lost data to a process on the file, which writes back).
        await WriteAsync(store, Tokens("2"));
        Assert.NotNull(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        await AssertMovedRecordAsync(keyring.StoreDirectory);
        Assert.Equal("rt-2-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
    }

    [Fact]
    public async Task AcquireAsync_TokenFileOfTheKey_ImportsItOnceAndLeavesAMovedRecordWithoutSecrets()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var files = new FileTokenStore(keyring.StoreDirectory);
        await using (var seed = await new FileRefreshLock(keyring.StoreDirectory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await files.SetAsync(StoredItem.Key, Tokens(redeeming: "marker-1"), seed, TestContext.Current.CancellationToken);
        }

        var logs = new FakeLogCollector();
        var store = Store(keyring, logger: new FakeLogger(logs));

        // Before the lock is taken the file is what the store reads: the user is still signed in.
        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        Assert.Null(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));

        await TakeLockAsync(store);

        await AssertMovedRecordAsync(keyring.StoreDirectory);
        using var record = JsonDocument.Parse((await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)))!);
        Assert.Equal("rt-1-" + Secret, record.RootElement.GetProperty("refresh_token").GetString());
        Assert.Equal("marker-1", record.RootElement.GetProperty("redeeming").GetString());
        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1102);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains(Secret, StringComparison.Ordinal));

        // Taken again: nothing left to import.
        var movedRecord = await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken);
        await TakeLockAsync(store);

        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1102);
        Assert.Equal(1, await keyring.CountAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.Equal(movedRecord, await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetAndAcquire_MovedRecordInTheFile_ReadTheItemAndLeaveItAndTheRecordAsTheyAre()
    {
        // The moved record is no newer data: the item holds what was refreshed since the move.
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteFileAsync(keyring.StoreDirectory, Tokens("1"));
        await TakeLockAsync(store);
        await WriteAsync(store, Tokens("2"));
        var movedRecord = await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken);

        var read = await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        await TakeLockAsync(store);

        Assert.Equal("rt-2-" + Secret, read?.RefreshToken);
        Assert.Contains("rt-2-" + Secret, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)), StringComparison.Ordinal);
        Assert.Equal(movedRecord, await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), TestContext.Current.CancellationToken));
        await AssertMovedRecordAsync(keyring.StoreDirectory);
        var entry = await ((ISignOutRecordingStore)store).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        Assert.False(entry.SignedOut);
        Assert.Equal("rt-2-" + Secret, entry.Tokens?.RefreshToken);
    }

    [Fact]
    public async Task FileTokenStore_MovedRecordLeftByTheImport_ReadsAsNoTokensAndNotLost()
    {
        // What a process on the plain file (a fallback, an older version) reads after the import.
        await using var keyring = await PrivateSecretService.StartAsync();
        await WriteFileAsync(keyring.StoreDirectory, Tokens("1"));
        await TakeLockAsync(Store(keyring));

        var entry = await ((ISignOutRecordingStore)new FileTokenStore(keyring.StoreDirectory)).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken);

        Assert.Null(entry.Tokens);
        Assert.False(entry.IsLost);
        Assert.True(entry.IsMoved);
    }

    [Fact]
    public async Task AcquireAsync_CrashBetweenImportAndMovedRecord_ReadsTheSameTokensAndImportsAgain()
    {
        // What a crash after the import's copy and before the file is replaced by the moved
        // record leaves: both hold one record.
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteAsync(store, Tokens("1"));
        await using (var seed = await new FileRefreshLock(keyring.StoreDirectory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await new FileTokenStore(keyring.StoreDirectory).SetAsync(StoredItem.Key, Tokens("1"), seed, TestContext.Current.CancellationToken);
        }

        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        await TakeLockAsync(store);

        await AssertMovedRecordAsync(keyring.StoreDirectory);
        Assert.Equal(1, await keyring.CountAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
    }

    [Fact]
    public async Task GetAsync_FileWrittenAfterTheImport_IsReadFirstAndReplacesTheItemUnderTheLock()
    {
        // A process that fell back to the file (an SSH session) refreshed after the import: its
        // file holds the newest refresh token; the item's is spent.
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteAsync(store, Tokens("1"));
        await using (var seed = await new FileRefreshLock(keyring.StoreDirectory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await new FileTokenStore(keyring.StoreDirectory).SetAsync(StoredItem.Key, Tokens("2"), seed, TestContext.Current.CancellationToken);
        }

        Assert.Equal("rt-2-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        await TakeLockAsync(store);

        Assert.Contains("rt-2-" + Secret, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)), StringComparison.Ordinal);
        await AssertMovedRecordAsync(keyring.StoreDirectory);
    }

    [Fact]
    public async Task AcquireAsync_TokenFileWrittenOverAMovedRecord_IsReadFirstAndImported()
    {
        // The fallback process signed in again after the move: its file is newer than the item.
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteFileAsync(keyring.StoreDirectory, Tokens("1"));
        await TakeLockAsync(store);
        await WriteFileAsync(keyring.StoreDirectory, Tokens("2"));

        Assert.Equal("rt-2-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        await TakeLockAsync(store);

        Assert.Contains("rt-2-" + Secret, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)), StringComparison.Ordinal);
        await AssertMovedRecordAsync(keyring.StoreDirectory);
        Assert.Equal("rt-2-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
    }

    [Fact]
    public async Task AcquireAsync_SignOutRecordInTheTokenFile_SignsOutAndDeletesTheItem()
    {
        // A process on the plain file store (an older version, a fallback) signed out after the import.
        await using var keyring = await PrivateSecretService.StartAsync();
        var store = Store(keyring);
        await WriteAsync(store, Tokens());
        await using (var lease = await new FileRefreshLock(keyring.StoreDirectory).AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await new FileTokenStore(keyring.StoreDirectory).RemoveAsync(StoredItem.Key, lease, TestContext.Current.CancellationToken);
        }

        Assert.True((await ((ISignOutRecordingStore)store).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken)).SignedOut);
        await TakeLockAsync(store);

        Assert.Null(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.True(File.Exists(StoredItem.FilePath(keyring.StoreDirectory)));
        Assert.True((await ((ISignOutRecordingStore)store).ReadEntryAsync(StoredItem.Key, TestContext.Current.CancellationToken)).SignedOut);
    }

    [Fact]
    public async Task AcquireAsync_CorruptedTokenFile_LeavesItForTheSessionToReport()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        Directory.CreateDirectory(keyring.StoreDirectory);
        await File.WriteAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory), "{ \"access_token\": \"at-SECRET\"", TestContext.Current.CancellationToken);
        var store = Store(keyring);

        await TakeLockAsync(store);

        Assert.True(File.Exists(StoredItem.FilePath(keyring.StoreDirectory)));
        Assert.Null(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask());
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetLocationAsync_PlatformStoreWithUnlockedKeyring_ChoosesTheSecretServiceAndLogsOnce()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var logs = new FakeLogCollector();
        var store = Store(keyring, fallBack: true, logger: new FakeLogger(logs));

        var location = await store.GetLocationAsync(TestContext.Current.CancellationToken);
        await WriteAsync(store, Tokens());
        _ = await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken);

        Assert.Equal(TokenStorageKind.SecretService, location.Kind);
        Assert.Null(location.FallbackReason);
        Assert.NotNull(await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory)));
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id is 1100 or 1101);
    }

    [Fact]
    public async Task PlatformStore_LockedKeyring_FallsBackToTheFileWithoutAPromptOrAHang()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        await keyring.LockAsync();
        var logs = new FakeLogCollector();
        var store = Store(keyring, fallBack: true, logger: new FakeLogger(logs));

        var elapsed = Stopwatch.StartNew();
        var location = await store.GetLocationAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken);
        await WriteAsync(store, Tokens()).WaitAsync(NoHang, TestContext.Current.CancellationToken);

        Assert.True(elapsed.Elapsed < SecretServiceBackend.DefaultTimeout, $"the check took {elapsed.Elapsed}: it waited for something");
        Assert.Equal(TokenStorageKind.File, location.Kind);
        Assert.Contains("locked", location.FallbackReason, StringComparison.Ordinal);
        Assert.True(File.Exists(StoredItem.FilePath(keyring.StoreDirectory)));
        var line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id is 1100 or 1101);
        Assert.Equal(1101, line.Id.Id);
        Assert.Contains("locked", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CredentialStore_LockedKeyring_FailsTransientWithWhatToDo()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        await keyring.LockAsync();
        var store = Store(keyring);

        var read = await Assert.ThrowsAsync<TokenStoreException>(() => store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken));
        var write = await Assert.ThrowsAsync<TokenStoreException>(() => WriteAsync(store, Tokens()).WaitAsync(NoHang, TestContext.Current.CancellationToken));

        Assert.All([read, write], ex =>
        {
            Assert.True(ex.IsTransient);
            Assert.Contains("locked", ex.Message, StringComparison.Ordinal);
            Assert.Contains("UsePlatformTokenStore()", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        });
        Assert.False(File.Exists(StoredItem.FilePath(keyring.StoreDirectory)));
    }

    [Fact]
    public async Task PlatformStore_KeyringWithoutDefaultCollection_FallsBackWithoutCreatingOne()
    {
        // Creating a collection takes a prompt for its password: never asked for.
        await using var keyring = await PrivateSecretService.StartAsync(loginCollection: false);
        var store = Store(keyring, fallBack: true);

        var location = await store.GetLocationAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => Store(keyring).GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken));

        Assert.Equal(TokenStorageKind.File, location.Kind);
        Assert.Contains("no default keyring collection", location.FallbackReason, StringComparison.Ordinal);
        Assert.True(ex.IsTransient);
        Assert.Contains("no default keyring collection", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretServiceThatDoesNotAnswer_FailsTransientAfterTheTimeoutAndThePlatformStoreFallsBack()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        await keyring.FreezeKeyringAsync();
        var timeout = TimeSpan.FromMilliseconds(500);
        var explicitStore = new CredentialTokenStore(keyring.StoreDirectory, false, null, () => new SecretServiceBackend(keyring.Address, timeout));
        var platform = new CredentialTokenStore(keyring.StoreDirectory, true, null, () => new SecretServiceBackend(keyring.Address, timeout));

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => explicitStore.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken));
        var location = await platform.GetLocationAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken);

        Assert.True(ex.IsTransient);
        Assert.Contains("did not answer within 0.5 s", ex.Message, StringComparison.Ordinal);
        Assert.Equal(TokenStorageKind.File, location.Kind);
        Assert.Contains("did not answer", location.FallbackReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlatformStore_BusWithoutSecretService_FallsBackToTheFile()
    {
        await using var bus = await PrivateSecretService.StartAsync(withKeyring: false);
        var store = Store(bus, fallBack: true);

        var location = await store.GetLocationAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken);

        Assert.Equal(TokenStorageKind.File, location.Kind);
        Assert.Contains("no Secret Service", location.FallbackReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unix:path=/nonexistent/authhandler-bus")]
    public async Task PlatformStore_NoSessionBus_FallsBackAndExplicitStoreFailsTyped(string address)
    {
        var directory = Path.Combine(Path.GetTempPath(), "authhandler-nobus-" + Guid.NewGuid().ToString("N"));
        try
        {
            var platform = new CredentialTokenStore(directory, true, null, () => new SecretServiceBackend(address));
            var explicitStore = new CredentialTokenStore(directory, false, null, () => new SecretServiceBackend(address));

            var location = await platform.GetLocationAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken);
            var ex = await Assert.ThrowsAsync<TokenStoreException>(() => explicitStore.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask().WaitAsync(NoHang, TestContext.Current.CancellationToken));

            Assert.Equal(TokenStorageKind.File, location.Kind);
            Assert.Contains("D-Bus session bus", location.FallbackReason, StringComparison.Ordinal);
            Assert.True(ex.IsTransient);
            Assert.Contains("D-Bus session bus", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
