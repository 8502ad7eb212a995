using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Invariant 12 from the application's side: a broken device id file or storage directory never
/// makes <c>CreateClient</c> throw; it degrades, says so once in the log, and a file store that
/// cannot be written gives a typed error where it is used.
/// </summary>
public sealed class LocalFileTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const int DeviceIdReplaced = 27;
    private const int DeviceIdNotPersisted = 28;

    private static string DeviceIdSent(AuthTestHost host) => host.Api.LogEntries.Single().RequestMessage.Headers!["X-Device-Id"].Single();

    /// <summary>A regular file, with the storage directory below it: a path no one can create.</summary>
    private static string UnderARegularFile(AuthTestHost host)
    {
        Directory.CreateDirectory(host.Directory);
        var file = Path.Combine(host.Directory, "not-a-directory");
        File.WriteAllText(file, "x");
        return Path.Combine(file, "storage");
    }

    [Fact]
    public async Task CreateClient_CorruptDeviceIdFile_SendsANewIdThatReplacedTheFile()
    {
        await using var host = AuthTestHost.Start();
        Directory.CreateDirectory(host.Directory);
        var path = Path.Combine(host.Directory, "device_id");
        await File.WriteAllTextAsync(path, "garbage!!", TestContext.Current.CancellationToken);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        using var second = host.Client;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = DeviceIdSent(host);
        Assert.Matches("^[0-9a-f]{32}$", sent);
        Assert.Equal(sent, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        var record = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id is DeviceIdReplaced or DeviceIdNotPersisted);
        Assert.Equal(DeviceIdReplaced, record.Id.Id);
        Assert.DoesNotContain(sent, record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateClient_DirectoryNamedDeviceId_SendsAProcessIdAndLogsOnce()
    {
        string? storage = null;
        await using var host = AuthTestHost.Start(services: s => s.AddHttpClient("second", c => c.BaseAddress = new Uri("http://127.0.0.1:1/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "http://127.0.0.1:2";
                o.ClientId = "second";
                o.TokenEndpoint = new Uri("http://127.0.0.1:2/token");
                o.StorageDirectory = storage;
            }));
        storage = host.Directory;
        Directory.CreateDirectory(Path.Combine(host.Directory, "device_id"));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        using var other = host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient("second");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", DeviceIdSent(host));
        Assert.True(Directory.Exists(Path.Combine(host.Directory, "device_id")));
        var record = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id is DeviceIdReplaced or DeviceIdNotPersisted);
        Assert.Equal(DeviceIdNotPersisted, record.Id.Id);
        Assert.DoesNotContain(DeviceIdSent(host), record.Message + record.Exception, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateClient_MemoryStoreAndStorageDirectoryUnderARegularFile_SendsAProcessIdAndTheToken()
    {
        string? storage = null;
        await using var host = AuthTestHost.Start(o => o.StorageDirectory = storage);
        storage = UnderARegularFile(host);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", DeviceIdSent(host));
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        Assert.Equal(DeviceIdNotPersisted, Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id is DeviceIdReplaced or DeviceIdNotPersisted).Id.Id);
    }

    [Fact]
    public async Task CreateClient_FileStoreUnderARegularFile_IsSignedOutWithoutSendingAndSignalsOnce()
    {
        string? storage = null;
        await using var host = AuthTestHost.Start(o => o.StorageDirectory = storage, fileStore: true);
        storage = UnderARegularFile(host);
        host.ApiAccepts(Access1);
        var signals = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, args) => signals.Add(args.Reason);

        using var client = host.Client;
        var response = await client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        // Nothing can be stored there, so there is nothing to send: a sign-in is required, which
        // the application learns from the signal (not a transient error on every request).
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(host.Api.LogEntries);
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
        Assert.Equal([SignInRequiredReason.NoTokens], signals);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SetTokensAsync_FileStoreUnderARegularFile_ThrowsTokenStoreExceptionAndDoesNotUseTheTokens()
    {
        string? storage = null;
        await using var host = AuthTestHost.Start(o => o.StorageDirectory = storage, fileStore: true);
        storage = UnderARegularFile(host);
        host.ApiAccepts(Access1);

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => host.Session.SetTokensAsync(
            new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 },
            TestContext.Current.CancellationToken));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.True(ex.IsTransient);
        Assert.Contains(storage, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(SessionState.SignedIn, host.Session.State);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(host.Api.LogEntries);
    }

    [Fact]
    public async Task SetTokensAsync_TokenFileCannotBeWritten_ThrowsTokenStoreExceptionAndDoesNotUseTheTokens()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        host.ApiAccepts(Access1);

        // The lock file can be created, the token file cannot: a directory stands where it goes.
        Directory.CreateDirectory(host.FileStore.PathFor(host.Session.StoreKey));

        await Assert.ThrowsAsync<TokenStoreException>(() => host.Session.SetTokensAsync(
            new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 },
            TestContext.Current.CancellationToken));

        Assert.NotEqual(SessionState.SignedIn, host.Session.State);
        Assert.Null(host.Session.AccessTokenExpiresAt);
        Assert.Empty(host.Api.LogEntries);
    }

    [Fact]
    public async Task SignInAsync_FileStoreUnderARegularFile_ThrowsTokenStoreExceptionAfterTheFlowAndDoesNotUseTheTokens()
    {
        string? storage = null;
        await using var host = AuthTestHost.Start(o => o.StorageDirectory = storage, fileStore: true);
        storage = UnderARegularFile(host);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh1));
        host.ApiAccepts(Access1);

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TokenStoreException>(() => signIn);
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(1, host.TokenCalls);
        Assert.NotEqual(SessionState.SignedIn, host.Session.State);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(host.Api.LogEntries);
    }

    [Fact]
    public async Task MemoryStoreWithDeviceId_SignInRequestsAndRefresh_NeverTouchTheStorageDirectory()
    {
        await using var host = AuthTestHost.Start(o => o.DeviceHeaders.DeviceId = "my-device");
        host.TokenEndpointAnswers(AuthTestHost.Tokens("at-2-" + AuthTestHost.SecretMarker, "rt-2-" + AuthTestHost.SecretMarker));
        host.ApiAccepts("at-2-" + AuthTestHost.SecretMarker);

        await host.Session.SetTokensAsync(new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 }, TestContext.Current.CancellationToken);
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal("my-device", host.Api.LogEntries[^1].RequestMessage.Headers!["X-Device-Id"].Single());
        Assert.False(Directory.Exists(host.Directory), "the memory store with an explicit device id needs no storage directory");
    }

    [Fact]
    public async Task UseMemoryTokenStoreWithDeviceId_NeverTouchesTheDefaultStorageDirectory()
    {
        var home = Path.Combine(Path.GetTempPath(), "authhandler-home-" + Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("http://127.0.0.1:1/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "http://127.0.0.1:2";
                o.ClientId = "cli";
                o.TokenEndpoint = new Uri("http://127.0.0.1:2/token");
                o.StorageDirectory = home;
                o.DeviceHeaders.DeviceId = "my-device";
            })
            .UseMemoryTokenStore();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>("api");
        await session.SetTokensAsync(new TokenSet(Access1, DateTimeOffset.UtcNow.AddHours(1)), TestContext.Current.CancellationToken);

        Assert.IsType<InProcessRefreshLock>(session.RefreshLock);
        Assert.False(Directory.Exists(home));
    }
}
