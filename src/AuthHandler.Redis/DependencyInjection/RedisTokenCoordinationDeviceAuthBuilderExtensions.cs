using AuthHandler;
using AuthHandler.DependencyInjection.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Coordinates a session's tokens across a fleet of instances through Redis.</summary>
public static class RedisTokenCoordinationDeviceAuthBuilderExtensions
{
    /// <summary>
    /// Keeps this session's tokens in Redis, protected with ASP.NET Core Data Protection, and
    /// serialises refreshes across every instance that shares the Redis with a leased, fenced lock,
    /// so that each refresh token is redeemed once (RFC 9700 §4.14) however many instances need a
    /// new access token at the same moment.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Registers, keyed by the session name, an <see cref="ITokenStore"/> and an
    /// <see cref="IRefreshLock"/>; the session holds the lock across read → refresh → write.
    /// Requires <c>services.AddDataProtection()</c> with a key ring shared by all instances.
    /// </para>
    /// <para>
    /// A Redis outage during a refresh is a transient failure: the session keeps its tokens,
    /// concurrent requests of one instance still share one refresh, and the error names Redis.
    /// See <see cref="RedisTokenCoordinationOptions"/> for the key layout.
    /// </para>
    /// </remarks>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder: of a client, or of a session registered on its own.</param>
    /// <param name="configure">Sets the options: at least where Redis is, unless the application
    /// registers an <see cref="StackExchange.Redis.IConnectionMultiplexer"/>.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder AddRedisTokenCoordination<TBuilder>(this TBuilder builder, Action<RedisTokenCoordinationOptions> configure)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.SessionName;
        var services = builder.Services;

        services.AddOptions<RedisTokenCoordinationOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisTokenCoordinationOptions>, RedisTokenCoordinationOptionsValidator>());
        services.TryAddKeyedSingleton(name, (provider, _) => RedisTokenCoordination.Create(provider, name));
        services.AddKeyedSingleton<ITokenStore>(name, (provider, key) => provider.GetRequiredKeyedService<RedisTokenCoordination>(key).Store);
        services.AddKeyedSingleton<IRefreshLock>(name, (provider, key) => provider.GetRequiredKeyedService<RedisTokenCoordination>(key).Lock);
        return builder;
    }
}
