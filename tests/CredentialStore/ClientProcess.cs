using AuthHandler.Storage.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// The container of one process of the tests: a client "api" on a loopback identity provider and
/// API, its tokens in <c>directory</c> (and so its refresh lock there), the Secret Service at
/// <c>address</c> (empty: no session bus), and fake logging.
/// </summary>
internal static class ClientProcess
{
    public const string ClientName = "api";

    public static ServiceProvider Build(string idpUrl, string apiUrl, string directory, string address, Action<IDeviceAuthBuilder> store)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        services.AddFakeLogging();
        services.AddSingleton(new SecretBackendFactory(() => new SecretServiceBackend(address)));
        var builder = services.AddHttpClient(ClientName, c => c.BaseAddress = new Uri(apiUrl)).AddDeviceAuthHandler(o =>
        {
            o.Authority = idpUrl;
            o.ClientId = "cli";
            o.TokenEndpoint = new Uri(idpUrl + "/token");
            o.RevocationEndpoint = new Uri(idpUrl + "/revoke");
            o.StorageDirectory = directory;
            o.DeviceHeaders.Enabled = false;
            o.BackchannelMaxRetryAttempts = 0;
        });
        store(builder);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
