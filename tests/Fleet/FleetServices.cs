using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Fleet;

/// <summary>
/// The client every process registers, as an application of the fleet would: the auth handler
/// with every option at its default, on Redis coordination, with one Data Protection key ring
/// on disk shared by all processes.
/// </summary>
internal static class FleetServices
{
    public const string ClientName = "api";
    public const string ClientId = "fleet";
    public const string ApplicationName = "authhandler-fleet";

    /// <summary>
    /// Creates the key ring once, before any worker starts: workers that found an empty ring at
    /// the same moment would each create a key of their own and could not read each other's tokens.
    /// </summary>
    public static async Task CreateKeyRingAsync(string directory)
    {
        var services = new ServiceCollection();
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(directory)).SetApplicationName(ApplicationName);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect([1]);
    }

    /// <param name="workerId">Sent to the token endpoint and the API in <see cref="AuthorizationServer.WorkerHeader"/>.</param>
    public static ServiceProvider Build(string redisConfiguration, Uri server, string keyRingDirectory, string storageDirectory, string workerId)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keyRingDirectory)).SetApplicationName(ApplicationName);
        services.AddHttpClient(ClientName, c => c.BaseAddress = server)
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = server.GetLeftPart(UriPartial.Authority);
                o.ClientId = ClientId;
                o.TokenEndpoint = new Uri(server, AuthorizationServer.TokenPath);

                // Only the device id file would go here (the tokens are in Redis): never the user's own directory.
                o.StorageDirectory = storageDirectory;
                o.DeviceHeaders.DeviceId = "fleet-" + workerId;
                o.DeviceHeaders.AdditionalHeaders[AuthorizationServer.WorkerHeader] = workerId;
            })
            .AddRedisTokenCoordination(o => o.Configuration = redisConfiguration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static DeviceAuthSession Session(IServiceProvider provider) => provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);

    public static ITokenStore Store(IServiceProvider provider) => provider.GetRequiredKeyedService<ITokenStore>(ClientName);
}
