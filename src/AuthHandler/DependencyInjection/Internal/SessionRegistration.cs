using System.Net;
using System.Net.Sockets;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// The services of one named session, shared by <c>AddDeviceAuthSession</c> and
/// <c>AddDeviceAuthHandler</c>: its options and their validation, the session itself, its device
/// headers, and its token-endpoint client.
/// </summary>
internal static class SessionRegistration
{
    /// <summary>Whether a session of that name is registered already (then only options add up).</summary>
    public static bool IsRegistered(IServiceCollection services, string name) =>
        services.Any(d => d.IsKeyedService && d.ServiceType == typeof(DeviceAuthSession) && Equals(d.ServiceKey, name));

    /// <summary>
    /// Whether the container has a session of that name, asked without creating it. A container
    /// that cannot tell counts as having it: resolving the session then reports what is missing.
    /// </summary>
    public static bool IsRegistered(IServiceProvider provider, string name) =>
        provider.GetService<IServiceProviderIsKeyedService>() is not { } registrations
        || registrations.IsKeyedService(typeof(DeviceAuthSession), name);

    public static void Add(IServiceCollection services, string name)
    {
        if (IsRegistered(services, name))
        {
            return;
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
        services.TryAddKeyedSingleton(name, (provider, _) => DeviceAuthSessionFactory.Create(provider, name));
        services.TryAddKeyedSingleton<IDeviceAuthSession>(name, (provider, _) => provider.GetRequiredKeyedService<DeviceAuthSession>(name));

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
