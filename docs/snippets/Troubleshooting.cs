using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/troubleshooting.md.</summary>
public static class Troubleshooting
{
    /// <summary>The exceptions a request through the handler can throw, and what each means.</summary>
    /// <param name="api">The typed client.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> HandleFailuresAsync(ForecastApi api, CancellationToken cancellationToken)
    {
        #region exceptions
        try
        {
            Console.WriteLine(await api.GetTodayAsync(cancellationToken));
            return 0;
        }
        catch (SignInRequiredException ex)
        {
            // Only with SignInRequiredBehavior.ThrowException: the user must sign in again.
            Console.Error.WriteLine($"Sign in again ({ex.Reason?.ToString() ?? "signed out"}).");
            return 2;
        }
        catch (TokenEndpointException ex) when (ex.IsTransient)
        {
            // Transient or InvalidResponse: no new token now, the stored tokens are kept. Try later.
            Console.Error.WriteLine($"The sign-in server is unavailable ({ex.StatusCode?.ToString() ?? "no answer"}, {ex.Error ?? "no OAuth error"}): {ex.Message}");
            return 3;
        }
        catch (TokenEndpointException ex)
        {
            // ClientConfiguration: invalid_client, unauthorized_client, invalid_scope... or discovery
            // pointing elsewhere. Fix the options or the client registration; the user stays signed in.
            Console.Error.WriteLine($"The client is misconfigured ({ex.Error}): {ex.Message}");
            return 4;
        }
        catch (Exception ex) when (ex is TokenStoreException { IsTransient: true } or TimeoutException)
        {
            // The token store could not be read (a locked file, an unreachable Redis) or another
            // process held the refresh lock too long. The tokens are kept. Try later.
            Console.Error.WriteLine($"The token store is busy: {ex.Message}");
            return 3;
        }
        catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
        {
            // ReturnUnauthorizedResponse (the default): a local 401 "Sign-in required", or the API's own
            // 401 that one refresh and one re-send did not cure (see the log, events 9 and 10).
            Console.Error.WriteLine("Not authorized: sign in again, or check the API's WWW-Authenticate answer.");
            return 2;
        }
        #endregion
    }

    /// <summary>The library's log, at the level that explains refresh decisions.</summary>
    /// <param name="services">The application's services.</param>
    public static void Logging(IServiceCollection services)
    {
        #region logging
        services.AddLogging(logging => logging
            .AddFilter("AuthHandler", LogLevel.Debug)       // every refresh decision (event ids 1-23)
            .AddFilter("System.Net.Http.HttpClient.AuthHandler.Backchannel", LogLevel.Information)); // token-endpoint calls
        #endregion
    }

    /// <summary>A server or a machine whose clock runs ahead.</summary>
    /// <param name="services">The application's services.</param>
    public static void ClockSkew(IServiceCollection services)
    {
        #region clock-skew
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";

                // Treat tokens as expired 2 minutes early (still capped at a quarter of the lifetime).
                options.ExpirySkew = TimeSpan.FromMinutes(2);
            });
        #endregion
    }

    /// <summary>An explicit proxy for the API and the authorization server alike.</summary>
    /// <param name="services">The application's services.</param>
    public static void Proxy(IServiceCollection services)
    {
        #region proxy
        // Applies to every client the factory builds, the token endpoint's own client included.
        services.ConfigureHttpClientDefaults(client => client.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            Proxy = new WebProxy("http://proxy.corp.example:3128"),
            UseProxy = true,
        }));
        #endregion
    }

    /// <summary>An upload whose stream can be rewound, so the handler may re-send it after a 401.</summary>
    /// <param name="client">A client with the device-auth handler.</param>
    /// <param name="path">The file to upload.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>The response.</returns>
    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        #region resendable-stream
        var file = File.OpenRead(path);   // a FileStream can seek, so StreamContent rewinds it for a second send
        await using (file)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("uploads/report.csv", UriKind.Relative))
            {
                Content = new StreamContent(file),
            };
            request.Options.Set(DeviceAuthRequestOptions.ContentCanBeResent, true);
            return await client.SendAsync(request, cancellationToken);
        }
        #endregion
    }
}
