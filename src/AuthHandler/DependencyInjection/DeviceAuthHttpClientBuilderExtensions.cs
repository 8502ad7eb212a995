using System.Net;
using System.Net.Sockets;
using AuthHandler;
using AuthHandler.DependencyInjection.Internal;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the device-auth handler to an HTTP client.</summary>
public static class DeviceAuthHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds a handler that authorizes the client's requests with the user's access token and
    /// device headers, refreshes the token ahead of expiry and once after a 401, and signals when
    /// the user must sign in again.
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="configure">Sets the options; <see cref="DeviceAuthOptions.Authority"/> and
    /// <see cref="DeviceAuthOptions.ClientId"/> are required.</param>
    /// <returns>A builder to configure the handler further.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, Action<DeviceAuthOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<DeviceAuthOptions>(builder.Name).Configure(configure);
        return AddCore(builder);
    }

    /// <summary>
    /// Adds the device-auth handler with options bound from a configuration section. Keys that
    /// match no option are an error.
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>A builder to configure the handler further.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<DeviceAuthOptions>(builder.Name).Bind(configuration, binder => binder.ErrorOnUnknownConfiguration = true);
        return AddCore(builder);
    }

    /// <summary>Changes the handler's options after they were first set.</summary>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The same builder.</returns>
    public static IDeviceAuthBuilder Configure(this IDeviceAuthBuilder builder, Action<DeviceAuthOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<DeviceAuthOptions>(builder.Name).Configure(configure);
        return builder;
    }

    /// <summary>
    /// Keeps this client's tokens in memory only (tests, services that sign in at start-up).
    /// By default tokens go to the application's <see cref="ITokenStore"/> service if one is
    /// registered, otherwise to a <see cref="FileTokenStore"/> in <see cref="DeviceAuthOptions.StorageDirectory"/>.
    /// </summary>
    /// <param name="builder">The device-auth builder.</param>
    /// <returns>The same builder.</returns>
    public static IDeviceAuthBuilder UseMemoryTokenStore(this IDeviceAuthBuilder builder) =>
        builder.UseTokenStore(_ => new MemoryTokenStore());

    /// <summary>Keeps this client's tokens in owner-only files in <paramref name="directory"/>.</summary>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="directory">The directory of the token files.</param>
    /// <returns>The same builder.</returns>
    public static IDeviceAuthBuilder UseFileTokenStore(this IDeviceAuthBuilder builder, string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return builder.UseTokenStore(_ => new FileTokenStore(directory));
    }

    /// <summary>Keeps this client's tokens in the store that <paramref name="factory"/> creates.</summary>
    /// <remarks>
    /// The library pairs <see cref="FileTokenStore"/> with <see cref="FileRefreshLock"/> and
    /// <see cref="MemoryTokenStore"/> with <see cref="InProcessRefreshLock"/>. Any other store needs a
    /// lock chosen with <see cref="UseRefreshLock"/> (or an <see cref="IRefreshLock"/> service);
    /// without one the application fails at start, because a lock that covers fewer holders than
    /// the store lets two of them redeem the same refresh token.
    /// </remarks>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="factory">Creates the store, once.</param>
    /// <returns>The same builder.</returns>
    public static IDeviceAuthBuilder UseTokenStore(this IDeviceAuthBuilder builder, Func<IServiceProvider, ITokenStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton(builder.Name, (provider, _) => factory(provider));
        return builder;
    }

    /// <summary>
    /// Holds this client's refreshes under the lock that <paramref name="factory"/> creates. The
    /// session holds it across read → refresh → write, so it must cover every process or machine
    /// that uses the same store entry: otherwise two of them can redeem one refresh token, and a
    /// server that rotates refresh tokens may revoke the sign-in for it (RFC 9700 §4.14).
    /// </summary>
    /// <remarks>
    /// Needed with a store of your own (a database, a distributed cache). For a store that only this
    /// process uses, say so with <c>UseRefreshLock(_ =&gt; new InProcessRefreshLock())</c>. The file
    /// and memory stores come with the right lock (<see cref="FileRefreshLock"/> beside the files,
    /// <see cref="InProcessRefreshLock"/>), which this replaces.
    /// </remarks>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="factory">Creates the lock, once.</param>
    /// <returns>The same builder.</returns>
    public static IDeviceAuthBuilder UseRefreshLock(this IDeviceAuthBuilder builder, Func<IServiceProvider, IRefreshLock> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton(builder.Name, (provider, _) => factory(provider));
        return builder;
    }

    private static DeviceAuthBuilder AddCore(IHttpClientBuilder builder)
    {
        var name = builder.Name;
        var services = builder.Services;
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(DeviceAuthSession) && Equals(d.ServiceKey, name)))
        {
            // Added before for this client: the options above add up, the handler is not added twice.
            return new DeviceAuthBuilder(name, services);
        }

        services.AddOptions<DeviceAuthOptions>(name).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceAuthOptions>, DeviceAuthOptionsAttributeValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceAuthOptions>, DeviceAuthOptionsValidator>());
        services.AddOptions<RefreshLockRequirement>(name).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RefreshLockRequirement>, RefreshLockRequirementValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DiscoveryCache>();
        services.AddMetrics();
        services.TryAddSingleton<DeviceAuthMetrics>();
        services.TryAddSingleton<InProcessRefreshLock>();
        services.TryAddKeyedSingleton(name, (provider, _) => DeviceAuthSessionFactory.CreateDeviceHeaders(provider, name));
        services.TryAddKeyedSingleton(name, (provider, _) => DeviceAuthSessionFactory.CreateRequestPolicy(provider, name));
        services.TryAddKeyedSingleton(name, (provider, _) => DeviceAuthSessionFactory.Create(provider, name));

        // Invariant 7: the token endpoint has its own client, which never carries this handler,
        // and carries nothing but its own pipeline: a handler the app adds to every client
        // (ConfigureHttpClientDefaults) would retry refreshes that must not be retried.
        var pipelineKey = DeviceAuthConstants.BackchannelName(name);
        services.AddResiliencePipeline<string, HttpResponseMessage>(pipelineKey, (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name);
            if (options.BackchannelMaxRetryAttempts > 0)
            {
                // Invariant 10: a server's Retry-After is honoured only up to the cap. A longer one
                // is not waited for at all — the answer goes back at once, so the shared refresh
                // ends and its waiters learn when to try again — rather than parked for an hour.
                var time = context.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
                var maxRetryAfter = options.BackchannelMaxRetryAfter;
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.BackchannelMaxRetryAttempts,
                    Delay = DeviceAuthConstants.BackchannelFirstRetryDelay,
                    MaxDelay = maxRetryAfter,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = false,
                    DelayGenerator = arguments => ValueTask.FromResult(RetryAfterOf(arguments.Outcome, time)),
                    ShouldHandle = arguments => ValueTask.FromResult(
                        (RetryAfterOf(arguments.Outcome, time) is not { } wait || wait <= maxRetryAfter) && ShouldRetry(arguments.Outcome, arguments.Context)),
                });
            }

            pipeline.AddTimeout(options.BackchannelTimeout);
        });
        services.AddHttpClient(DeviceAuthConstants.BackchannelName(name))
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            // Its requests carry the client secret (Authorization: Basic, RFC 6749 §2.3.1), which
            // Microsoft.Extensions.Http 10.0 keeps raw in the state of the factory's Trace "Request
            // Headers" record; the library's own events log its calls instead. (The app's
            // ConfigureHttpClientDefaults run before this, whatever their registration order.)
            .RemoveAllLoggers();

        // A filter runs after every configuration action, whatever order the app registered them in.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, BackchannelHandlerFilter>());

        // Invariants 8 and 10: the primary handler follows no redirect, on the back channel or
        // here; on this client the device-auth handler follows them itself, hop by hop.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, RedirectHandlerFilter>());

        // Not an additional handler: RedirectHandlerFilter puts one per chain directly above the
        // primary handler, below the factory's loggers and every handler the app adds.
        services.TryAddKeyedSingleton<Func<DeviceAuthHandler>>(name, (provider, _) => () => new DeviceAuthHandler(
            provider.GetRequiredKeyedService<DeviceAuthSession>(name),
            provider.GetRequiredKeyedService<ClientRequestPolicy>(name),
            (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory)));

        return new DeviceAuthBuilder(name, services);
    }

    private static TimeSpan? RetryAfterOf(Outcome<HttpResponseMessage> outcome, TimeProvider time) =>
        outcome.Result is { } response ? RetryAfter.Read(response.Headers, time.GetUtcNow()) : null;

    /// <summary>
    /// Which failed token-endpoint calls are retried. Requests marked idempotent (device-code polls,
    /// discovery) retry on any transient failure. A refresh retries only when the server cannot
    /// have redeemed the refresh token: it was never reached, or it said it did not process the
    /// request (429, 503). After a timeout, a reset mid-response, or a 500/502/504 it may have
    /// rotated the token already, and a second attempt with the old one could revoke the grant
    /// (RFC 9700 §4.14); the session reports a transient failure instead and tries again later,
    /// after re-reading the store.
    /// </summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        var request = context.GetRequestMessage();
        if (request is not null && request.Options.TryGetValue(TokenEndpointClient.Idempotent, out var idempotent) && idempotent)
        {
            return HttpClientResiliencePredicates.IsTransient(outcome);
        }

        return outcome switch
        {
            { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } } => true,
            { Exception: HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } } => true,
            { Result.StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
            _ => false,
        };
    }
}
