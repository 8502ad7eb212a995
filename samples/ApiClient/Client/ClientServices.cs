using ApiClient.Cli;
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApiClient.Client;

/// <summary>The service container of one command: the typed client with the device-auth handler.</summary>
internal static class ClientServices
{
    /// <summary>The name of the session (and of the HTTP client: AddHttpClient&lt;T&gt; names it after T).</summary>
    public const string ClientName = nameof(ProtectedApi);

    /// <summary>
    /// Registers the session and, for <paramref name="apiBaseAddress"/>, <see cref="ProtectedApi"/>
    /// with the handler. Without an API address (login, logout, status) only the session is registered.
    /// </summary>
    /// <param name="server">The authorization server, client and token store.</param>
    /// <param name="apiBaseAddress">The API's origin: the only one that receives the token; null for no API client.</param>
    /// <param name="verbose">Writes the library's log to standard error.</param>
    /// <param name="configure">Changes further options.</param>
    public static ServiceProvider Build(ServerSettings server, Uri? apiBaseAddress, bool verbose, Action<DeviceAuthOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            if (verbose)
            {
                logging.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss.fff ";
                });
                logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
                logging.SetMinimumLevel(LogLevel.Warning);
                logging.AddFilter("AuthHandler", LogLevel.Debug);
            }
        });

        services.AddDeviceAuthSession(ClientName, options =>
        {
            options.Authority = server.Authority;
            options.ClientId = server.ClientId;
            options.ClientSecret = server.ClientSecret;
            options.Scope = server.Scope;
            options.TokenEndpoint = server.TokenEndpoint;
            options.DeviceAuthorizationEndpoint = server.DeviceEndpoint;
            options.RevocationEndpoint = server.RevocationEndpoint;

            // No ITokenStore is registered, so the tokens go to a FileTokenStore here; processes
            // that share the directory share the sign-in.
            options.StorageDirectory = server.StoreDirectory;
            configure?.Invoke(options);
        });

        if (apiBaseAddress is not null)
        {
            services.AddHttpClient<ProtectedApi>(client => client.BaseAddress = apiBaseAddress).AddDeviceAuthHandler(ClientName);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static DeviceAuthSession Session(IServiceProvider provider) =>
        provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
}
