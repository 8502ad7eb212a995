namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures one device-auth session: its options, token store and refresh lock.</summary>
public interface IDeviceAuthSessionBuilder
{
    /// <summary>
    /// Gets the session's name: the key of the <see cref="AuthHandler.DeviceAuthSession"/> service and
    /// its options, and the client name in logs, metrics and exceptions.
    /// </summary>
    string SessionName { get; }

    /// <summary>Gets the application's service collection.</summary>
    IServiceCollection Services { get; }
}
