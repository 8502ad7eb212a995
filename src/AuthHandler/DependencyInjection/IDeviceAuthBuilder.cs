namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the device-auth handler of one HTTP client.</summary>
public interface IDeviceAuthBuilder
{
    /// <summary>Gets the HTTP client name, which is also the session's key.</summary>
    string Name { get; }

    /// <summary>Gets the application's service collection.</summary>
    IServiceCollection Services { get; }
}
