using AuthHandler.Device.Internal;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

internal static class DeviceAuthSessionFactory
{
    public static DeviceAuthSession Create(IServiceProvider services, string name)
    {
        // Get validates: a misconfigured client fails here with OptionsValidationException.
        var options = services.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name);
        _ = services.GetRequiredService<IOptionsMonitor<RefreshLockRequirement>>().Get(name);
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory);

        var origins = options.AllowedOrigins.Select(o => OriginSet.TryParseOrigin(o)!).ToList();
        if (ClientBaseAddress.Find(services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>(), name) is { IsAbsoluteUri: true } baseAddress)
        {
            origins.Add(new Uri(baseAddress.GetLeftPart(UriPartial.Authority)));
        }

        var storageDirectory = options.StorageDirectory ?? DeviceAuthConstants.DefaultStorageDirectory();
        // Invariant 12: nothing here throws because of a local file. The device id degrades (a new
        // or a process-local id); the stores create their files on first use, where a failure is
        // a TokenStoreException.
        var deviceHeaders = DeviceHeaderSet.Create(options.DeviceHeaders, storageDirectory, logger);
        var httpClientFactory = services.GetRequiredService<IHttpClientFactory>();
        var backchannel = DeviceAuthConstants.BackchannelName(name);
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var tokenClient = new TokenEndpointClient(
            httpClientFactory,
            backchannel,
            new ClientCredentials(options.ClientId!, options.ClientSecret, options.ClientAuthentication),
            deviceHeaders,
            options.BackchannelTimeout,
            time);
        var server = new AuthorizationServer(
            options.Authority!,
            options.TokenEndpoint,
            options.DeviceAuthorizationEndpoint,
            options.RevocationEndpoint,
            new DiscoveryClient(services.GetRequiredService<DiscoveryCache>(), httpClientFactory, backchannel, deviceHeaders, options.DiscoveryCacheDuration, options.BackchannelTimeout, time));
        var deviceFlow = new DeviceFlow(name, tokenClient, server, options.Scope, options.DeviceAuthorizationParameters, options.DefaultTokenLifetime, time, logger);

        // Per client first, then the application's store, then a file store beside the device id.
        // The lock: the one the application chose, else the one that covers every holder of the
        // store's refresh token (validated above: there is one).
        var store = TokenCoordination.RegisteredStore(services, name) ?? new FileTokenStore(storageDirectory);
        var refreshLock = TokenCoordination.RegisteredLock(services, name)
            ?? TokenCoordination.DefaultLock(services, store, options)
            ?? throw new InvalidOperationException(TokenCoordination.MissingLock(services, name));

        return new DeviceAuthSession(
            name,
            options,
            server,
            deviceFlow,
            DeviceAuthConstants.StoreKey(options.Authority!, options.ClientId!, options.Scope),
            new OriginSet(origins),
            deviceHeaders,
            store,
            refreshLock,
            tokenClient,
            time,
            logger,
            services.GetRequiredService<DeviceAuthMetrics>());
    }
}
