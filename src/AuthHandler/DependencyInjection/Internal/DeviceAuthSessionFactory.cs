using AuthHandler.Device.Internal;
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
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory);

        var origins = options.AllowedOrigins.Select(o => OriginSet.TryParseOrigin(o)!).ToList();
        if (ClientBaseAddress.Find(services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>(), name) is { IsAbsoluteUri: true } baseAddress)
        {
            origins.Add(new Uri(baseAddress.GetLeftPart(UriPartial.Authority)));
        }

        var storageDirectory = options.StorageDirectory ?? DeviceAuthConstants.DefaultStorageDirectory();
        var deviceHeaders = DeviceHeaderSet.Create(options.DeviceHeaders, storageDirectory);
        var tokenClient = new TokenEndpointClient(
            services.GetRequiredService<IHttpClientFactory>(),
            DeviceAuthConstants.BackchannelName(name),
            new ClientCredentials(options.ClientId!, options.ClientSecret, options.ClientAuthentication),
            deviceHeaders);

        return new DeviceAuthSession(
            name,
            options,
            options.TokenEndpoint!,
            DeviceAuthConstants.StoreKey(options.Authority!, options.ClientId!, options.Scope),
            new OriginSet(origins),
            deviceHeaders,
            services.GetKeyedService<ITokenStore>(name) ?? services.GetRequiredService<ITokenStore>(),
            services.GetKeyedService<IRefreshLock>(name) ?? services.GetRequiredService<IRefreshLock>(),
            tokenClient,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            logger);
    }
}
