using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.DependencyInjection.Internal;

internal sealed class DeviceAuthSessionBuilder(string sessionName, IServiceCollection services) : IDeviceAuthSessionBuilder
{
    public string SessionName { get; } = sessionName;

    public IServiceCollection Services { get; } = services;
}
