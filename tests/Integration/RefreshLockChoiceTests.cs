using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Issue 12 §4: the refresh lock is never silently narrower than the store. The library pairs its
/// own stores with the right lock; a store of the application's needs an explicit lock.
/// </summary>
public sealed class RefreshLockChoiceTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    private static ServiceProvider Build(Action<IServiceCollection>? services = null, Action<IDeviceAuthBuilder>? client = null)
    {
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        var builder = collection.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "https://id.example.com";
                o.ClientId = "cli";
                o.TokenEndpoint = new Uri("https://id.example.com/token");
                o.DeviceHeaders.Enabled = false;
                o.StorageDirectory = Path.Combine(Path.GetTempPath(), "authhandler-unused-" + Guid.NewGuid().ToString("N"));
            });
        client?.Invoke(builder);
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static void Start(IServiceProvider provider) =>
        provider.GetRequiredService<IStartupValidator>().Validate();

    public static TheoryData<string> CustomStoreRegistrations => ["keyed", "global-instance", "global-factory"];

    [Theory]
    [MemberData(nameof(CustomStoreRegistrations))]
    public async Task Start_CustomStoreWithoutLock_FailsAndSaysWhyAndWhatToDo(string registration)
    {
        await using var provider = Build(
            services: s =>
            {
                if (registration == "global-instance")
                {
                    s.AddSingleton<ITokenStore>(new SharedStore());
                }
                else if (registration == "global-factory")
                {
                    s.AddSingleton<ITokenStore>(_ => new SharedStore());
                }
            },
            client: b =>
            {
                if (registration == "keyed")
                {
                    b.UseTokenStore(_ => new SharedStore());
                }
            });

        var atStart = Assert.Throws<OptionsValidationException>(() => Start(provider));
        var atFirstUse = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<DeviceAuthSession>("api"));

        foreach (var message in new[] { atStart.Message, atFirstUse.Message })
        {
            Assert.Contains("HTTP client 'api'", message, StringComparison.Ordinal);
            Assert.Contains(nameof(SharedStore), message, StringComparison.Ordinal);
            Assert.Contains("redeem the same refresh token", message, StringComparison.Ordinal);
            Assert.Contains("UseRefreshLock(_ => new InProcessRefreshLock())", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UseRefreshLock_CustomStore_StartsAndTheSessionHoldsTheGivenLock()
    {
        var givenLock = new CountingLock();
        var store = new SharedStore();
        await using var provider = Build(client: b => b.UseTokenStore(_ => store).UseRefreshLock(_ => givenLock));
        Start(provider);
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>("api");

        await session.SetTokensAsync(new TokenSet(Access1, DateTimeOffset.UtcNow.AddHours(1)), TestContext.Current.CancellationToken);

        Assert.Same(givenLock, session.RefreshLock);
        Assert.Equal([session.StoreKey], givenLock.Acquired);
        Assert.NotNull(await store.GetAsync(session.StoreKey, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task UseRefreshLock_InProcessForAProcessLocalStore_Starts()
    {
        await using var provider = Build(client: b => b.UseTokenStore(_ => new SharedStore()).UseRefreshLock(_ => new InProcessRefreshLock()));

        Start(provider);

        Assert.IsType<InProcessRefreshLock>(provider.GetRequiredKeyedService<DeviceAuthSession>("api").RefreshLock);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_CustomStoreWithRegisteredLock_Starts(bool keyed)
    {
        var registered = new CountingLock();
        await using var provider = Build(services: s =>
        {
            s.AddSingleton<ITokenStore>(new SharedStore());
            if (keyed)
            {
                s.AddKeyedSingleton<IRefreshLock>("api", registered);
            }
            else
            {
                s.AddSingleton<IRefreshLock>(registered);
            }
        });

        Start(provider);

        Assert.Same(registered, provider.GetRequiredKeyedService<DeviceAuthSession>("api").RefreshLock);
    }

    [Fact]
    public async Task DefaultStore_IsPairedWithAFileRefreshLockInTheStorageDirectory()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        Start(host.Provider);

        await host.Session.SetTokensAsync(new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)), TestContext.Current.CancellationToken);

        var refreshLock = Assert.IsType<FileRefreshLock>(host.Session.RefreshLock);
        Assert.Equal(Path.GetFullPath(host.Directory), refreshLock.Directory);
        Assert.True(File.Exists(refreshLock.PathFor(host.Session.StoreKey)));
    }

    [Fact]
    public async Task UseFileTokenStore_IsPairedWithAFileRefreshLockBesideTheFiles()
    {
        var directory = Path.Combine(Path.GetTempPath(), "authhandler-files-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var provider = Build(client: b => b.UseFileTokenStore(directory));
            Start(provider);

            var refreshLock = Assert.IsType<FileRefreshLock>(provider.GetRequiredKeyedService<DeviceAuthSession>("api").RefreshLock);
            Assert.Equal(Path.GetFullPath(directory), refreshLock.Directory);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task MemoryStores_ArePairedWithTheInProcessLock()
    {
        await using var keyed = Build(client: b => b.UseMemoryTokenStore());
        await using var global = AuthTestHost.Start();
        Start(keyed);
        Start(global.Provider);

        Assert.IsType<InProcessRefreshLock>(keyed.GetRequiredKeyedService<DeviceAuthSession>("api").RefreshLock);
        Assert.IsType<InProcessRefreshLock>(global.Session.RefreshLock);
        await global.SeedAsync(Access1);
        global.ApiAccepts(Access1);
        Assert.Equal(HttpStatusCode.OK, (await global.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
    }

    /// <summary>Stands for a store that other processes share (a database).</summary>
    private sealed class SharedStore : ITokenStore
    {
        private readonly MemoryTokenStore _inner = new();

        public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) => _inner.GetAsync(key, cancellationToken);

        public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken) => _inner.SetAsync(key, tokens, lease, cancellationToken);

        public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) => _inner.RemoveAsync(key, lease, cancellationToken);
    }

    private sealed class CountingLock : IRefreshLock
    {
        private readonly InProcessRefreshLock _inner = new();

        public List<string> Acquired { get; } = [];

        public ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
        {
            lock (Acquired)
            {
                Acquired.Add(key);
            }

            return _inner.AcquireAsync(key, cancellationToken);
        }
    }
}
