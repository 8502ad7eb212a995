namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures the device-auth handler of one HTTP client and the session it uses. It is the
/// client's <see cref="IHttpClientBuilder"/> too, so the chain goes on with any client extension
/// (<c>AddStandardResilienceHandler()</c>, <c>AddHttpMessageHandler(...)</c>).
/// </summary>
public interface IDeviceAuthBuilder : IHttpClientBuilder, IDeviceAuthSessionBuilder
{
    /// <summary>Gets the application's service collection.</summary>
    new IServiceCollection Services { get; }
}
