using AuthHandler;
using AuthHandler.DependencyInjection.Internal;
using AuthHandler.Http;
using AuthHandler.Http.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the device-auth handler to an HTTP client.</summary>
public static class DeviceAuthHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds a handler that authorizes the client's requests with the user's access token and
    /// device headers, refreshes the token ahead of expiry and once after a 401, and signals when
    /// the user must sign in again. The session is named after the client.
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="configure">Sets the options; <see cref="DeviceAuthOptions.Authority"/> and
    /// <see cref="DeviceAuthOptions.ClientId"/> are required.</param>
    /// <returns>A builder to configure the handler further, and the client's builder to go on with.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, Action<DeviceAuthOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddDeviceAuthSession(builder.Name, configure);
        return Attach(builder, builder.Name);
    }

    /// <summary>
    /// Adds the device-auth handler with options bound from a configuration section; the session
    /// is named after the client. Keys that match no option are an error.
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>A builder to configure the handler further, and the client's builder to go on with.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddDeviceAuthSession(builder.Name, configuration);
        return Attach(builder, builder.Name);
    }

    /// <summary>
    /// Adds the device-auth handler with the session registered as <paramref name="sessionName"/>
    /// (<see cref="DeviceAuthServiceCollectionExtensions.AddDeviceAuthSession(IServiceCollection, string, Action{DeviceAuthOptions})"/>,
    /// in any order). Several clients can share one session, and so one sign-in. The session's
    /// name is the one in logs and metrics, whatever the client is called (a Refit client's name
    /// is its generated type's full name).
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="sessionName">The session's name.</param>
    /// <returns>A builder to configure the handler further, and the client's builder to go on with.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, string sessionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(sessionName);
        return Attach(builder, sessionName);
    }

    /// <summary>
    /// Adds the device-auth handler with the session registered as <paramref name="sessionName"/>,
    /// and sets how this client's requests are authorized where it differs from the session's options.
    /// </summary>
    /// <param name="builder">The HTTP client builder.</param>
    /// <param name="sessionName">The session's name.</param>
    /// <param name="configure">Changes this client's options, which start as the session's.</param>
    /// <returns>A builder to configure the handler further, and the client's builder to go on with.</returns>
    public static IDeviceAuthBuilder AddDeviceAuthHandler(this IHttpClientBuilder builder, string sessionName, Action<DeviceAuthClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var deviceAuth = builder.AddDeviceAuthHandler(sessionName);
        builder.Services.AddOptions<DeviceAuthClientOptions>(builder.Name).Configure(configure);
        return deviceAuth;
    }

    private static DeviceAuthBuilder Attach(IHttpClientBuilder builder, string sessionName)
    {
        var name = builder.Name;
        var services = builder.Services;
        var attached = services.FirstOrDefault(d => d.IsKeyedService && d.ServiceType == typeof(ClientSession) && Equals(d.ServiceKey, name));
        if (attached is not null)
        {
            // Added before for this client: the options add up, the handler is not added twice.
            var before = ((ClientSession)attached.KeyedImplementationInstance!).SessionName;
            return before == sessionName
                ? new DeviceAuthBuilder(name, sessionName, services)
                : throw new InvalidOperationException($"HTTP client '{name}' already has the device-auth handler of session '{before}'; a client uses one session.");
        }

        services.AddKeyedSingleton(name, new ClientSession(sessionName));

        // The client's options start as the session's, read when the client is first used, so the
        // order of the registrations does not matter; the app's own changes run after this.
        services.AddOptions<DeviceAuthClientOptions>(name)
            .Configure<IServiceProvider>((options, provider) => ClientOptionsDefaults.CopyFromSession(options, provider, sessionName))
            .Validate<IServiceProvider>((_, provider) => SessionRegistration.IsRegistered(provider, sessionName), DeviceAuthClientOptionsValidator.MissingSession(name, sessionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceAuthClientOptions>, DeviceAuthClientOptionsValidator>());
        services.TryAddKeyedSingleton(name, (provider, _) => DeviceAuthSessionFactory.CreateRequestPolicy(provider, name, sessionName));

        // Invariants 8 and 10: the primary handler follows no redirect; this handler follows them
        // itself, hop by hop, with the origin policy.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, RedirectHandlerFilter>());

        // Not an additional handler: RedirectHandlerFilter puts one per chain directly above the
        // primary handler, below the factory's loggers and every handler the app adds.
        services.TryAddKeyedSingleton<Func<DeviceAuthHandler>>(name, (provider, _) => () => CreateHandler(provider, name, sessionName));

        return new DeviceAuthBuilder(name, sessionName, services);
    }

    private static DeviceAuthHandler CreateHandler(IServiceProvider provider, string clientName, string sessionName) => new(
        provider.GetRequiredKeyedService<DeviceAuthSession>(sessionName),
        provider.GetRequiredKeyedService<ClientRequestPolicy>(clientName),
        (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory));
}
