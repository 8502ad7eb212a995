using System.Net;
using AuthHandler.Coordination.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// A client registered with <c>UseCredentialTokenStore()</c> or <c>UsePlatformTokenStore()</c>,
/// its session on a real Secret Service: what it stores, what it does with an unreadable item,
/// and that neither the registration nor creating the client touches the credential store.
/// </summary>
public sealed class CredentialStoreSessionTests : IAsyncDisposable
{
    private const string ClientName = ClientProcess.ClientName;
    private const string Secret = "SECRET";
    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private ServiceProvider? _provider;

    private FakeLogCollector Logs => _provider!.GetFakeLogCollector();

    [Fact]
    public async Task Session_CorruptedItem_IsSignedOutWithTokenStoreUnreadableAndTheItemIsLeftUntouched()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var session = Start(keyring, builder => builder.UseCredentialTokenStore(), keyring.Address);
        var attributes = StoredItem.Attributes(keyring.StoreDirectory, session.StoreKey);
        await keyring.StoreAsync("{\"access_token\": \"at-" + Secret + "\", \"expires_at\": [", attributes);

        using var response = await Client().GetAsync(new Uri("/data", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(SignInRequiredReason.TokenStoreUnreadable, session.SignedOutReason);
        Assert.Empty(_idp.LogEntries);
        Assert.Equal("{\"access_token\": \"at-" + Secret + "\", \"expires_at\": [", await keyring.LookupAsync(attributes));
        Assert.DoesNotContain(Logs.GetSnapshot(), r => (r.Message + r.Exception).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SetTokensAndSignOut_CredentialStore_TheItemHoldsTheTokensThenIsDeleted()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var session = Start(keyring, builder => builder.UseCredentialTokenStore(), keyring.Address);
        var attributes = StoredItem.Attributes(keyring.StoreDirectory, session.StoreKey);

        await session.SetTokensAsync(new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret }, TestContext.Current.CancellationToken);
        var stored = await keyring.LookupAsync(attributes);
        await session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Contains("rt-1-" + Secret, stored, StringComparison.Ordinal);
        Assert.Null(await keyring.LookupAsync(attributes));
        Assert.Equal(0, await keyring.CountAsync(attributes));
        var file = await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory, session.StoreKey), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(Secret, file, StringComparison.Ordinal);
        Assert.DoesNotContain(Logs.GetSnapshot(), r => (r.Message + r.Exception).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UsePlatformTokenStore_LockedKeyring_CreatingTheClientChecksNothingAndFirstUseLogsOneFallbackLine()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        await keyring.LockAsync();
        var session = Start(keyring, builder => builder.UsePlatformTokenStore(), keyring.Address);
        _ = Client();

        Assert.DoesNotContain(Logs.GetSnapshot(), r => r.Id.Id is 1100 or 1101);
        var files = Assert.IsType<MigratingRefreshLock>(session.RefreshLock).Files;
        Assert.Equal(Path.GetFullPath(keyring.StoreDirectory), files.Directory);

        await session.SetTokensAsync(new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret }, TestContext.Current.CancellationToken);
        using var response = await Client().GetAsync(new Uri("/data", UriKind.Relative), TestContext.Current.CancellationToken);

        var line = Assert.Single(Logs.GetSnapshot(), r => r.Id.Id is 1100 or 1101);
        Assert.Equal(1101, line.Id.Id);
        Assert.Contains("locked", line.Message, StringComparison.Ordinal);
        Assert.Contains("rt-1-" + Secret, await File.ReadAllTextAsync(StoredItem.FilePath(keyring.StoreDirectory, session.StoreKey), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var store = _provider!.GetRequiredKeyedService<ITokenStore>(ClientName);
        var location = await Assert.IsType<CredentialTokenStore>(store).GetLocationAsync(TestContext.Current.CancellationToken);
        Assert.Equal(TokenStorageKind.File, location.Kind);
    }

    [Fact]
    public async Task UseCredentialTokenStore_NoSessionBus_ClientIsCreatedAndStoringFailsTransientWithWhatToDo()
    {
        var directory = Path.Combine(Path.GetTempPath(), "authhandler-nobus-" + Guid.NewGuid().ToString("N"));
        try
        {
            var session = Start(null, builder => builder.UseCredentialTokenStore(), address: string.Empty, directory);
            _ = Client();

            var ex = await Assert.ThrowsAsync<TokenStoreException>(() => session.SetTokensAsync(
                new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret },
                TestContext.Current.CancellationToken));

            Assert.True(ex.IsTransient);
            Assert.Contains("no D-Bus session bus", ex.Message, StringComparison.Ordinal);
            Assert.Contains("UsePlatformTokenStore()", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
            Assert.False(File.Exists(StoredItem.FilePath(directory, session.StoreKey)));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        _idp.Stop();
        _api.Stop();
        _idp.Dispose();
        _api.Dispose();
    }

    private HttpClient Client() => _provider!.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

    private DeviceAuthSession Start(PrivateSecretService? keyring, Action<IDeviceAuthBuilder> store, string address, string? directory = null)
    {
        _api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer at-1-" + Secret)).AtPriority(1).RespondWith(Response.Create().WithStatusCode(200));
        _api.Given(Request.Create().WithPath("/data")).AtPriority(10).RespondWith(Response.Create().WithStatusCode(401));
        _provider = ClientProcess.Build(_idp.Url!, _api.Url!, directory ?? keyring!.StoreDirectory, address, store);
        return _provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
    }
}
