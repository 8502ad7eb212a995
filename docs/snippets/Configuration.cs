using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/configuration.md.</summary>
public static class Configuration
{
    /// <summary>Every option set in code, with its default where it has one.</summary>
    /// <param name="services">The application's services.</param>
    public static void AllOptions(IServiceCollection services)
    {
        #region all-options
        services.AddHttpClient("forecast", client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                // The authorization server and the client.
                options.Authority = "https://id.example.com";           // required
                options.ClientId = "forecast-cli";                      // required
                options.ClientSecret = null;                            // confidential clients only
                options.ClientAuthentication = ClientAuthenticationMethod.Automatic;
                options.Scope = "forecast.read offline_access";

                // Endpoints: null means "from discovery" (RFC 8414, then OpenID Connect).
                options.TokenEndpoint = null;
                options.DeviceAuthorizationEndpoint = null;
                options.RevocationEndpoint = null;
                options.DiscoveryCacheDuration = TimeSpan.FromHours(1);
                options.DeviceAuthorizationParameters["audience"] = "https://api.example.com";

                // Sign-in.
                options.OnDeviceCode = null;
                options.SignInOnDemand = false;
                options.SignInRequiredBehavior = SignInRequiredBehavior.ReturnUnauthorizedResponse;
                options.OnSignInRequired = null;

                // Who gets the token: exactly these origins. With none listed, the origin of the
                // client's first request is pinned (see "Which origins get the token").
                options.AllowedOrigins.Add("https://api.example.com");
                options.AllowedOrigins.Add("https://files.example.com");
                options.AuthorizationHeaderName = "Authorization";
                options.AuthorizationScheme = null;                     // null: the token_type ("Bearer")

                // When to refresh.
                options.RefreshWindow = TimeSpan.FromMinutes(5);
                options.ExpirySkew = TimeSpan.FromSeconds(30);
                options.DefaultTokenLifetime = TimeSpan.FromHours(1);
                options.RefreshRetryDelay = TimeSpan.FromSeconds(30);

                // Storage and coordination.
                options.StorageDirectory = null;                        // null: $AUTHHANDLER_HOME or <ApplicationData>/AuthHandler
                options.RefreshLockTimeout = TimeSpan.FromSeconds(60);

                // The token endpoint's own HTTP client.
                options.BackchannelTimeout = TimeSpan.FromSeconds(30);
                options.BackchannelMaxRetryAttempts = 2;

                // Device headers.
                options.DeviceHeaders.Enabled = true;
                options.DeviceHeaders.Prefix = "X-Device-";
                options.DeviceHeaders.Platform = null;                  // null: the entry assembly's name
                options.DeviceHeaders.AppVersion = null;                // null: its informational version
                options.DeviceHeaders.DeviceName = null;                // null: the host name
                options.DeviceHeaders.DeviceId = null;                  // null: a random id kept in <StorageDirectory>/device_id
                options.DeviceHeaders.AdditionalHeaders["X-Tenant"] = "blue";
            });
        #endregion
    }

    /// <summary>Options bound from a configuration section.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The application's configuration, e.g. from appsettings.json.</param>
    public static void FromConfiguration(IServiceCollection services, IConfiguration configuration)
    {
        #region from-configuration
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(configuration.GetSection("ForecastAuth"))

            // Callbacks cannot come from configuration: add them in code.
            .Configure(options => options.OnSignInRequired = signal =>
            {
                Console.Error.WriteLine($"Sign in again: {signal.Reason}");
                return ValueTask.CompletedTask;
            });
        #endregion
    }

    /// <summary>Two APIs, two clients: each has its own options, session and sign-in.</summary>
    /// <param name="services">The application's services.</param>
    public static void TwoClients(IServiceCollection services)
    {
        #region two-clients
        services.AddHttpClient("forecast", client => client.BaseAddress = new Uri("https://forecast.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.Scope = "forecast.read";
            });

        services.AddHttpClient("alerts", client => client.BaseAddress = new Uri("https://alerts.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.Scope = "alerts.read";  // another scope set: another store entry, another sign-in
            });
        #endregion
    }

    /// <summary>One sign-in for two APIs: a session registered on its own, and two clients attached to it.</summary>
    /// <param name="services">The application's services.</param>
    public static void SharedSession(IServiceCollection services)
    {
        #region shared-session
        // The session: sign-in, sign-out, the stored account. It needs no HTTP client.
        services.AddDeviceAuthSession("example", options =>
        {
            options.Authority = "https://id.example.com";
            options.ClientId = "forecast-cli";
            options.Scope = "forecast.read alerts.read offline_access";
        });

        // Two clients with its token. Each pins (or lists) its own origins.
        services.AddHttpClient("forecast", client => client.BaseAddress = new Uri("https://forecast.example.com/"))
            .AddDeviceAuthHandler("example");
        services.AddHttpClient("alerts", client => client.BaseAddress = new Uri("https://alerts.example.com/"))
            .AddDeviceAuthHandler("example", client => client.AllowedOrigins.Add("https://alerts.example.com"))
            .AddStandardResilienceHandler();
        #endregion
    }
}
