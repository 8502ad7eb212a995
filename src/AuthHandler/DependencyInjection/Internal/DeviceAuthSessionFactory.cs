using AuthHandler.Browser.Internal;
using AuthHandler.Device.Internal;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

internal static class DeviceAuthSessionFactory
{
    /// <summary>
    /// The device headers of a client, computed once; shared by its requests and its back channel.
    /// Invariant 12: nothing here throws because of a local file. The device id degrades (a new or a
    /// process-local id); the stores create their files on first use, where a failure is a
    /// <see cref="TokenStoreException"/>.
    /// </summary>
    public static DeviceHeaderSet CreateDeviceHeaders(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name);
        return DeviceHeaderSet.Create(options.DeviceHeaders, StorageDirectory(options), Logger(services));
    }

    /// <summary>
    /// How one client's requests are authorized: what the handler needs, and nothing of the
    /// session's state. Its origin set is the client's own, so a pinned origin is per client even
    /// when clients share a session. Logs and metrics name the session.
    /// </summary>
    public static ClientRequestPolicy CreateRequestPolicy(IServiceProvider services, string clientName, string sessionName)
    {
        // Get validates: a misconfigured client fails here with OptionsValidationException.
        var options = services.GetRequiredService<IOptionsMonitor<DeviceAuthClientOptions>>().Get(clientName);
        return new ClientRequestPolicy(
            sessionName,
            new OriginSet(options.AllowedOrigins.Select(o => OriginSet.TryParseOrigin(o)!)),
            services.GetRequiredKeyedService<DeviceHeaderSet>(sessionName),
            options.AuthorizationHeaderName,
            options.SignInRequiredBehavior,
            services.GetRequiredService<DeviceAuthMetrics>());
    }

    public static DeviceAuthSession Create(IServiceProvider services, string name)
    {
        // Get validates: a misconfigured client fails here with OptionsValidationException, and so
        // does a store of the app's own without a refresh lock chosen for it.
        var options = services.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name);
        _ = services.GetRequiredService<IOptionsMonitor<RefreshLockRequirement>>().Get(name);
        var logger = Logger(services);
        var metrics = services.GetRequiredService<DeviceAuthMetrics>();
        var deviceHeaders = services.GetRequiredKeyedService<DeviceHeaderSet>(name);
        var httpClientFactory = services.GetRequiredService<IHttpClientFactory>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;

        // One per session: the key of its token set, imported once, and one nonce cache for the
        // token endpoint and the APIs (RFC 9449 §8, §9).
        var dpop = new DPoPContext(options.DPoP?.Enabled == true, new DPoPNonceCache(), time);
        var tokenClient = new TokenEndpointClient(
            httpClientFactory,
            name,
            new ClientCredentials(options.ClientId!, options.ClientSecret, options.ClientAuthentication),
            deviceHeaders,
            options.BackchannelTimeout,
            time,
            dpop);
        var server = new AuthorizationServer(
            options.Authority!,
            options.TokenEndpoint,
            options.DeviceAuthorizationEndpoint,
            options.RevocationEndpoint,
            new DiscoveryClient(services.GetRequiredService<DiscoveryCache>(), httpClientFactory, DeviceAuthConstants.BackchannelName(name), deviceHeaders, options.DiscoveryCacheDuration, options.BackchannelTimeout, time))
        {
            AuthorizationEndpoint = options.Browser.AuthorizationEndpoint,
        };
        var deviceFlow = new DeviceFlow(name, tokenClient, server, options.Scope, options.DeviceAuthorizationParameters, options.DefaultTokenLifetime, time, logger, dpop);

        // Per client first, then the application's store, then a file store beside the device id.
        // The lock: the one the application chose, else the one that covers every holder of the
        // store's refresh token (validated above: there is one).
        var store = TokenCoordination.RegisteredStore(services, name) ?? new FileTokenStore(StorageDirectory(options));
        var refreshLock = TokenCoordination.RegisteredLock(services, name)
            ?? TokenCoordination.DefaultLock(services, store, options)
            ?? throw new InvalidOperationException(TokenCoordination.MissingLock(services, name));

        var storeKey = DeviceAuthConstants.StoreKey(options.Authority!, options.ClientId!, options.Scope);
        var schedule = new RefreshSchedule(options.RefreshWindow, options.ExpirySkew, options.AuthorizationScheme, dpop);
        var context = new SessionContext(name, storeKey, store, time, logger, dpop);
        var reader = new StoreReader(context, schedule);
        var writer = new StoreWriter(context);
        return new DeviceAuthSession(new SessionParts
        {
            Name = name,
            StoreKey = storeKey,
            Store = store,
            RefreshLock = refreshLock,
            Schedule = schedule,
            Refresher = new TokenRefresher(
                context,
                refreshLock,
                reader,
                new TokenRedeemer(context, server.GetTokenEndpointAsync, tokenClient.RefreshAsync, schedule, reader, writer, options.DefaultTokenLifetime),
                writer),
            SignIn = new SignInFlow(name, storeKey, store, refreshLock, schedule, deviceFlow.RunAsync, server.GetRevocationEndpointAsync, tokenClient.RevokeAsync, logger, metrics, BrowserSignIn(services, name, options, tokenClient, server, dpop, time, logger)),
            Signals = new SessionSignals(name, options.OnSignInRequired, time, logger, metrics),
            DPoP = dpop,
            OnDeviceCode = options.OnDeviceCode,

            // The validator requires OnDeviceCode with SignInOnDemand.
            SignInOnDemand = options.SignInOnDemand,
            RefreshRetryDelay = options.RefreshRetryDelay,
            Time = time,
            Logger = logger,
            Metrics = metrics,
        });
    }

    /// <summary>The browser sign-in: its grant, whether the server and this machine support it, and what opens the URL.</summary>
    private static BrowserSignIn BrowserSignIn(IServiceProvider services, string name, DeviceAuthOptions options, TokenEndpointClient tokenClient, AuthorizationServer server, DPoPContext dpop, TimeProvider time, ILogger logger)
    {
        var browser = options.Browser;
        var flow = new BrowserFlow(name, options.ClientId!, tokenClient, server, options.Scope, browser, options.DefaultTokenLifetime, time, logger, dpop);
        var environment = services.GetService<InteractiveEnvironment>() ?? InteractiveEnvironment.System;
        var launch = browser.LaunchBrowser ?? new SystemBrowser(time).OpenAsync;
        var onUrl = browser.OnAuthorizationUrl;
        async ValueTask<bool> OpenAsync(Uri url, CancellationToken cancellationToken)
        {
            if (onUrl is not null)
            {
                await onUrl(url, cancellationToken).ConfigureAwait(false);
            }

            return await launch(url, cancellationToken).ConfigureAwait(false);
        }

        return new BrowserSignIn(flow.RunAsync, flow.IsSupportedAsync, environment.WhyNoBrowser, OpenAsync, options.SignInMethod);
    }

    private static ILogger Logger(IServiceProvider services) =>
        (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory);

    private static string StorageDirectory(DeviceAuthOptions options) => options.StorageDirectory ?? DeviceAuthConstants.DefaultStorageDirectory();
}
