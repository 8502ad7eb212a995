using System.Text;
using AuthHandler.Storage.Internal;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// The credential store of each operating system, through <see cref="CredentialTokenStore"/>
/// with its platform default. Each test runs only on its OS and is skipped elsewhere with the
/// reason; the Linux store has its own tests on a private Secret Service.
/// </summary>
public sealed class PlatformCredentialStoreTests : IDisposable
{
    private const string Secret = "SECRET";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-platform-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task GetLocationAsync_ExplicitStore_NamesThisOperatingSystemsStoreWithoutTouchingIt()
    {
        var location = await new CredentialTokenStore(_directory).GetLocationAsync(TestContext.Current.CancellationToken);

        var expected = OperatingSystem.IsWindows() ? TokenStorageKind.DataProtectionApi
            : OperatingSystem.IsMacOS() ? TokenStorageKind.Keychain
            : OperatingSystem.IsLinux() ? TokenStorageKind.SecretService
            : TokenStorageKind.File;
        Assert.Equal(expected, location.Kind);
        Assert.Null(location.FallbackReason);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task Windows_SetThenGet_RoundTripsThroughADpapiFileWithoutPlainTokens()
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Skip("DPAPI exists only on Windows; this test runs there.");
            return;
        }

        var store = new CredentialTokenStore(_directory);
        await WriteAsync(store);

        var file = Assert.Single(Directory.GetFiles(_directory, "tokens-*.dpapi"));
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken)), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory, "tokens-*.json"));
        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);

        // Damaged: unreadable, not a sign-out, and left for a new sign-in.
        await File.WriteAllBytesAsync(file, [1, 2, 3], TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken).AsTask());
        Assert.False(ex.IsTransient);
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task MacOS_SetThenGetThenRemove_RoundTripsThroughTheKeychain()
    {
        if (!OperatingSystem.IsMacOS())
        {
            Assert.Skip("The Keychain exists only on macOS; this test runs there.");
            return;
        }

        try
        {
            await new KeychainBackend().ProbeAsync(TestContext.Current.CancellationToken);
        }
        catch (CredentialStoreUnavailableException ex)
        {
            Assert.Skip("The Keychain cannot be used in this session: " + ex.Message);
        }

        var store = new CredentialTokenStore(_directory);
        await WriteAsync(store);
        Assert.Equal("rt-1-" + Secret, (await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken))?.RefreshToken);
        Assert.False(File.Exists(StoredItem.FilePath(_directory)));

        await using (var lease = await store.CreateRefreshLock().AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken))
        {
            await store.RemoveAsync(StoredItem.Key, lease, TestContext.Current.CancellationToken);
        }

        var name = new SecretName(Path.GetFullPath(_directory), StoredItem.Hash(StoredItem.Key));
        Assert.Null(await new KeychainBackend().ReadAsync(name, TestContext.Current.CancellationToken));
        Assert.Null(await store.GetAsync(StoredItem.Key, TestContext.Current.CancellationToken));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task WriteAsync(CredentialTokenStore store)
    {
        await using var lease = await store.CreateRefreshLock().AcquireAsync(StoredItem.Key, TestContext.Current.CancellationToken);
        await store.SetAsync(StoredItem.Key, new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret }, lease, TestContext.Current.CancellationToken);
    }
}
