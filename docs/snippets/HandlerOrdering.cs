using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/handler-ordering.md.</summary>
public static class HandlerOrdering
{
    /// <summary>The standard resilience handler chained after the device-auth handler.</summary>
    /// <param name="services">The application's services.</param>
    public static void WithResilience(IServiceCollection services)
    {
        #region with-resilience
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
            })
            .AddStandardResilienceHandler(); // every attempt goes through the device-auth handler
        #endregion
    }

    /// <summary>Keeps retries off requests that are not safe to repeat.</summary>
    /// <param name="services">The application's services.</param>
    public static void UnsafeMethods(IServiceCollection services)
    {
        #region unsafe-methods
        var forecast = services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"));
        forecast.AddStandardResilienceHandler(resilience => resilience.Retry.DisableForUnsafeHttpMethods());
        forecast.AddDeviceAuthHandler(options =>
        {
            options.Authority = "https://id.example.com";
            options.ClientId = "forecast-cli";
        });
        #endregion
    }

    /// <summary>A handler of your own, and where it sees what.</summary>
    /// <param name="services">The application's services.</param>
    public static void OwnHandlers(IServiceCollection services)
    {
        #region own-handlers
        var forecast = services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"));
        forecast.AddHttpMessageHandler(() => new TimingHandler());      // sees one call per attempt, 401 re-send included
        forecast.AddDeviceAuthHandler(options =>
        {
            options.Authority = "https://id.example.com";
            options.ClientId = "forecast-cli";
        });
        forecast.AddHttpMessageHandler(() => new RequestIdHandler());   // the same: any order, never the token
        #endregion
    }

    /// <summary>Hands every redirect back to the caller instead of following it.</summary>
    /// <param name="services">The application's services.</param>
    public static void NoAutomaticRedirects(IServiceCollection services)
    {
        #region no-automatic-redirects
        var forecast = services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"));
        forecast.AddDeviceAuthHandler(options =>
        {
            options.Authority = "https://id.example.com";
            options.ClientId = "forecast-cli";
        });

        // A 3xx comes back to the caller, which decides whether to follow it and where.
        forecast.ConfigurePrimaryHttpMessageHandler((handler, _) =>
        {
            switch (handler)
            {
                case SocketsHttpHandler sockets:
                    sockets.AllowAutoRedirect = false;
                    break;
                case HttpClientHandler client:
                    client.AllowAutoRedirect = false;
                    break;
            }
        });
        #endregion
    }

    #region stateless-handler
    /// <summary>Adds a request id. Holds no state: the factory creates and drops handler instances freely.</summary>
    public sealed class RequestIdHandler : DelegatingHandler
    {
        /// <inheritdoc />
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Remove first: a resilience handler above this one sends the same message again.
            request.Headers.Remove("X-Request-Id");
            request.Headers.Add("X-Request-Id", Guid.NewGuid().ToString("N"));
            return base.SendAsync(request, cancellationToken);
        }
    }
    #endregion

    /// <summary>Measures whole calls.</summary>
    public sealed class TimingHandler : DelegatingHandler
    {
        /// <inheritdoc />
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                Console.WriteLine($"{request.Method} {request.RequestUri}: {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
            }
        }
    }
}
