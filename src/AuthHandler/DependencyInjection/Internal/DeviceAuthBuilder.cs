using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.DependencyInjection.Internal;

internal sealed class DeviceAuthBuilder(string name, IServiceCollection services) : IDeviceAuthBuilder
{
    public string Name { get; } = name;

    public IServiceCollection Services { get; } = services;
}
