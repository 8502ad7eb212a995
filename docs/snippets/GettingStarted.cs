using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthHandler.Docs.Snippets;

/// <summary>The API the samples call: a typed client, so the HTTP client (and the session) is named "ForecastApi".</summary>
/// <param name="client">The client the factory builds, with the device-auth handler in its chain.</param>
public sealed class ForecastApi(HttpClient client)
{
    /// <summary>Gets today's forecast.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response body.</returns>
    public Task<string> GetTodayAsync(CancellationToken cancellationToken) =>
        client.GetStringAsync(new Uri("forecast/today", UriKind.Relative), cancellationToken);

    /// <summary>Sends the request and returns the whole response, for callers that look at the status.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public Task<HttpResponseMessage> GetTodayResponseAsync(CancellationToken cancellationToken) =>
        client.GetAsync(new Uri("forecast/today", UriKind.Relative), cancellationToken);
}

/// <summary>Samples of docs/getting-started.md.</summary>
public static class GettingStarted
{
    /// <summary>Registers the typed client with the handler, as a command-line tool would.</summary>
    /// <returns>The service provider.</returns>
    public static ServiceProvider Register()
    {
        #region register
        var services = new ServiceCollection();
        services.AddLogging();

        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.Scope = "forecast.read offline_access";

                // Shows the code during a sign-in (console, GUI, QR code...).
                options.OnDeviceCode = code =>
                {
                    Console.WriteLine($"Open {code.VerificationUriComplete ?? code.VerificationUri}; your code is {code.UserCode}.");
                    return ValueTask.CompletedTask;
                };

                // The sign-in-required signal: the user must sign in again.
                options.OnSignInRequired = signal =>
                {
                    Console.Error.WriteLine($"Please sign in again ({signal.Reason}).");
                    return ValueTask.CompletedTask;
                };
            });

        var provider = services.BuildServiceProvider();
        #endregion
        return provider;
    }

    /// <summary>Fails fast on bad options, as a generic host does when it starts.</summary>
    /// <param name="provider">The service provider.</param>
    public static void Validate(IServiceProvider provider)
    {
        #region validate
        // Throws OptionsValidationException listing every problem. A generic host (Host.CreateApplicationBuilder)
        // runs the same check in StartAsync; without it, the first use of the session runs it.
        provider.GetRequiredService<IStartupValidator>().Validate();
        #endregion
    }

    /// <summary>A <c>login</c> command: runs the device flow and stores the tokens.</summary>
    /// <param name="provider">The service provider.</param>
    /// <param name="cancellationToken">Stops polling.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> LoginAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        #region sign-in
        // One session per client name; a typed client is named after its type.
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>(nameof(ForecastApi));
        try
        {
            // Shows the code through OnDeviceCode, polls until the user approves, stores the tokens.
            await session.SignInAsync(cancellationToken);
            Console.WriteLine($"Signed in; the access token expires at {session.AccessTokenExpiresAt:u}.");
            return 0;
        }
        catch (DeviceAuthorizationException ex)
        {
            // AccessDenied, Expired, Rejected, InvalidResponse or Unavailable; stored tokens are untouched.
            Console.Error.WriteLine($"Sign-in did not complete ({ex.Failure}): {ex.Message}");
            return 1;
        }
        #endregion
    }

    /// <summary>Any other command: calls the API with whatever sign-in is stored.</summary>
    /// <param name="provider">The service provider.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> CallAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        #region call
        var api = provider.GetRequiredService<ForecastApi>();
        using var response = await api.GetTodayResponseAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // No usable sign-in (never signed in, or the refresh token was rejected): the request was
            // not sent, or the API's 401 survived one refresh. OnSignInRequired has fired (or is about to).
            Console.Error.WriteLine("Run 'forecast login' first.");
            return 2;
        }

        Console.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return 0;
        #endregion
    }

    /// <summary>A <c>logout</c> command.</summary>
    /// <param name="provider">The service provider.</param>
    /// <param name="cancellationToken">Cancels the store delete and the revocation.</param>
    /// <returns>A task that completes when the session is signed out.</returns>
    public static async Task LogoutAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        #region sign-out
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>(nameof(ForecastApi));

        // Deletes the stored tokens and revokes the refresh token (RFC 7009) when the server has a
        // revocation endpoint. Does not raise the sign-in-required signal.
        RevocationResult result = await session.SignOutAsync(cancellationToken);
        Console.WriteLine($"Signed out (revocation: {result}).");
        #endregion
    }

    /// <summary>An interactive app: a request without a usable sign-in starts one.</summary>
    /// <param name="services">The application's services.</param>
    public static void RegisterWithSignInOnDemand(IServiceCollection services)
    {
        #region sign-in-on-demand
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-desktop";
                options.SignInOnDemand = true; // one device sign-in for all waiting requests
                options.OnDeviceCode = code =>
                {
                    Console.WriteLine($"Sign in at {code.VerificationUri} with the code {code.UserCode} (valid until {code.ExpiresAt:t}).");
                    return ValueTask.CompletedTask;
                };
            });
        #endregion
    }
}
