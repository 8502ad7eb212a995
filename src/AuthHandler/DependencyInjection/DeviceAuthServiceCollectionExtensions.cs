using AuthHandler;
using AuthHandler.DependencyInjection.Internal;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers device-auth sessions that need no HTTP client of their own.</summary>
public static class DeviceAuthServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="DeviceAuthSession"/> named <paramref name="name"/> (a keyed
    /// service): sign-in, sign-out and the stored tokens, with no HTTP client needed. Attach it to
    /// clients with <c>AddDeviceAuthHandler(name)</c>. Calling this again for the same name adds
    /// to its options.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="name">The session's name: its service key, and the client name in logs and metrics.</param>
    /// <param name="configure">Sets the options; <see cref="DeviceAuthOptions.Authority"/> and
    /// <see cref="DeviceAuthOptions.ClientId"/> are required.</param>
    /// <returns>A builder to choose the session's token store and refresh lock.</returns>
    public static IDeviceAuthSessionBuilder AddDeviceAuthSession(this IServiceCollection services, string name, Action<DeviceAuthOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DeviceAuthOptions>(name).Configure(configure);
        SessionRegistration.Add(services, name);
        return new DeviceAuthSessionBuilder(name, services);
    }

    /// <summary>
    /// Registers the <see cref="DeviceAuthSession"/> named <paramref name="name"/> with options
    /// bound from a configuration section. Keys that match no option are an error.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="name">The session's name: its service key, and the client name in logs and metrics.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>A builder to choose the session's token store and refresh lock.</returns>
    public static IDeviceAuthSessionBuilder AddDeviceAuthSession(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DeviceAuthOptions>(name).Bind(configuration, binder => binder.ErrorOnUnknownConfiguration = true);
        SessionRegistration.Add(services, name);
        return new DeviceAuthSessionBuilder(name, services);
    }
}
