using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.DependencyInjection.Internal;

internal sealed class DeviceAuthBuilder(string name, string sessionName, IServiceCollection services) : IDeviceAuthBuilder
{
    public string Name { get; } = name;

    public string SessionName { get; } = sessionName;

    public IServiceCollection Services { get; } = services;
}
