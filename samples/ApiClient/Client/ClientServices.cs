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
    /// <param name="platformStore">
    /// Keeps the tokens in the operating system's credential store (the owner-only file in the store
    /// directory where there is none); false: in the file only (the demo, whose temporary directory is
    /// all it leaves behind, and is deleted).
    /// </param>
    public static ServiceProvider Build(ServerSettings server, Uri? apiBaseAddress, bool verbose, Action<DeviceAuthOptions>? configure = null, bool platformStore = true)
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

        var session = services.AddDeviceAuthSession(ClientName, options =>
        {
            options.Authority = server.Authority;
            options.ClientId = server.ClientId;
            options.ClientSecret = server.ClientSecret;
            options.Scope = server.Scope;
            options.TokenEndpoint = server.TokenEndpoint;
            options.DeviceAuthorizationEndpoint = server.DeviceEndpoint;
            options.RevocationEndpoint = server.RevocationEndpoint;

            // The directory of the token file (where there is no credential store, and for the
            // demo) and of the refresh lock: processes that share it share the sign-in and refresh
            // once between them. A token file found there from before is imported into the
            // credential store once, then removed.
            options.StorageDirectory = server.StoreDirectory;

            // DPoP (RFC 9449): a key pair made at sign-in, kept with the tokens; every token and API
            // request carries a proof signed with it, so a copied token is worth nothing without the key.
            options.DPoP.Enabled = server.DPoP;
            configure?.Invoke(options);
        });
        if (platformStore)
        {
            // The Secret Service (D-Bus), the Keychain or DPAPI; without one (no session bus, as
            // over SSH or in CI) the owner-only file, and `status` says which and why.
            session.UsePlatformTokenStore();
            session.UseTokenStore(provider => new InspectedTokenStore(provider.GetRequiredKeyedService<CredentialTokenStore>(ClientName)));
        }
        else
        {
            // The owner-only file, with the lock the library pairs it with (other processes sharing the directory).
            session.UseTokenStore(_ => new InspectedTokenStore(new FileTokenStore(server.StoreDirectory)));
            session.UseRefreshLock(provider => new FileRefreshLock(server.StoreDirectory, provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DeviceAuthOptions>>().Get(ClientName).RefreshLockTimeout));
        }

        if (apiBaseAddress is not null)
        {
            services.AddHttpClient<ProtectedApi>(client => client.BaseAddress = apiBaseAddress).AddDeviceAuthHandler(ClientName);
        }

        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>The thumbprint of the DPoP key of the tokens the session last read from its store; null: bearer tokens.</summary>
    public static string? StoredDPoPThumbprint(IServiceProvider provider) =>
        provider.GetRequiredKeyedService<ITokenStore>(ClientName) is InspectedTokenStore store ? store.LastReadThumbprint : null;

    public static DeviceAuthSession Session(IServiceProvider provider) =>
        provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);

    /// <summary>
    /// Where the session's tokens are kept, from the session's store (keyed by its name); null for
    /// a plain file store (the demo). Asks the credential store whether it can be used, reads no token.
    /// </summary>
    public static async ValueTask<TokenStorageLocation?> StorageLocationAsync(IServiceProvider provider, CancellationToken cancellationToken) =>
        provider.GetKeyedService<CredentialTokenStore>(ClientName) is { } store
            ? await store.GetLocationAsync(cancellationToken)
            : null;
}
