using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

/// <summary>Registration and start-up validation; these need no Redis (the connection opens on first use).</summary>
public sealed class RegistrationTests
{
    private static ServiceProvider Build(Action<RedisTokenCoordinationOptions> configure, bool dataProtection = true)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (dataProtection)
        {
            services.AddDataProtection().UseEphemeralDataProtectionProvider();
        }

        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "https://id.example.com";
                o.ClientId = "cli";
                o.StorageDirectory = Path.Combine(Path.GetTempPath(), "authhandler-redis-registration");
                o.DeviceHeaders.Enabled = false;
            })
            .AddRedisTokenCoordination(configure);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task AddRedisTokenCoordination_Configured_RegistersKeyedStoreAndLock()
    {
        await using var provider = Build(o => o.Configuration = "127.0.0.1:1,abortConnect=false");

        Assert.Equal("RedisTokenStore", provider.GetRequiredKeyedService<ITokenStore>("api").GetType().Name);
        Assert.Equal("RedisRefreshLock", provider.GetRequiredKeyedService<IRefreshLock>("api").GetType().Name);
        Assert.Null(provider.GetKeyedService<ITokenStore>("other"));
        Assert.Null(Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate()));
    }

    [Fact]
    public async Task AddRedisTokenCoordination_WithoutDataProtection_FailsAtStartSayingAddDataProtection()
    {
        await using var provider = Build(o => o.Configuration = "127.0.0.1:1", dataProtection: false);

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var atResolve = Assert.ThrowsAny<Exception>(() => provider.GetRequiredKeyedService<ITokenStore>("api"));

        Assert.Contains("services.AddDataProtection()", atStart.Message, StringComparison.Ordinal);
        Assert.Contains("every instance shares", atStart.Message, StringComparison.Ordinal);
        Assert.Contains("services.AddDataProtection()", atResolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisTokenCoordination_InvalidOptions_FailsAtStartNamingEachProblem()
    {
        await using var provider = Build(o =>
        {
            o.Configuration = "127.0.0.1:1";
            o.ConnectionMultiplexerFactory = _ => throw new InvalidOperationException();
            o.KeyPrefix = "fleet{a}:";
            o.LockLease = TimeSpan.FromMilliseconds(500);
            o.LockWaitTimeout = TimeSpan.Zero;
            o.DataProtectionPurpose = " ";
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("HTTP client 'api'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not both", ex.Message, StringComparison.Ordinal);
        Assert.Contains("hash tag", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LockLease must be at least 1 second", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LockWaitTimeout must be positive", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtectionPurpose", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisTokenCoordination_NoConnectionConfigured_FailsAtStartSayingHowToConnect()
    {
        await using var provider = Build(_ => { });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("set Configuration", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IConnectionMultiplexer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisTokenCoordination_ApplicationMultiplexerService_PassesStartAndIsTheConnectionUsed()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(_ => throw new InvalidOperationException("the application's multiplexer was resolved"));
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "https://id.example.com";
                o.ClientId = "cli";
                o.StorageDirectory = Path.Combine(Path.GetTempPath(), "authhandler-redis-registration");
                o.DeviceHeaders.Enabled = false;
            })
            .AddRedisTokenCoordination(_ => { });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // Start validation accepts the registration without resolving the service; the store is
        // what asks for it, so it is the connection the coordination uses.
        Assert.Null(Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate()));
        var atResolve = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<ITokenStore>("api"));
        Assert.Equal("the application's multiplexer was resolved", atResolve.Message);
    }

    [Fact]
    public async Task AddRedisTokenCoordination_InvalidConfigurationString_FailsAtStart()
    {
        await using var provider = Build(o => o.Configuration = "127.0.0.1:1,noSuchOption=1");

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("not a valid StackExchange.Redis configuration string", ex.Message, StringComparison.Ordinal);
    }
}
