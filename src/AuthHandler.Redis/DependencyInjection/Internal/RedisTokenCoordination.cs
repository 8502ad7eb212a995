using AuthHandler.Coordination.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// The Redis store and lock of one HTTP client, which share a connection; the lock's leases carry
/// the fencing token to the store's writes. A keyed singleton; disposing it closes a connection
/// it opened itself.
/// </summary>
internal sealed class RedisTokenCoordination : IAsyncDisposable
{
    public const string MissingDataProtection =
        "the tokens are protected at rest with ASP.NET Core Data Protection, and no IDataProtectionProvider is registered. " +
        "Call services.AddDataProtection() with a key ring that every instance shares (for example PersistKeysToFileSystem on a shared directory, " +
        "or PersistKeysToStackExchangeRedis), and the same SetApplicationName(...) everywhere.";

    private readonly RedisConnection _connection;

    private RedisTokenCoordination(RedisConnection connection, RedisTokenStore store, RedisRefreshLock refreshLock)
    {
        _connection = connection;
        Store = store;
        Lock = refreshLock;
    }

    public RedisTokenStore Store { get; }

    public RedisRefreshLock Lock { get; }

    public static RedisTokenCoordination Create(IServiceProvider services, string name)
    {
        // Get validates: a misconfigured client fails here with OptionsValidationException.
        var options = services.GetRequiredService<IOptionsMonitor<RedisTokenCoordinationOptions>>().Get(name);
        var dataProtection = services.GetService<IDataProtectionProvider>()
            ?? throw new InvalidOperationException($"AddRedisTokenCoordination for HTTP client '{name}': {MissingDataProtection}");
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(RedisTokenCoordinationConstants.LoggerCategory);

        var connection = options.Configuration is { } configuration
            ? RedisConnection.Owned(configuration)
            : RedisConnection.Shared(options.ConnectionMultiplexerFactory is { } factory
                ? factory(services) ?? throw new InvalidOperationException($"The ConnectionMultiplexerFactory of HTTP client '{name}' returned null.")
                : services.GetRequiredService<IConnectionMultiplexer>());

        var protector = dataProtection.CreateProtector(options.DataProtectionPurpose);
        return new RedisTokenCoordination(
            connection,
            new RedisTokenStore(connection, protector, name, options.KeyPrefix, logger),
            new RedisRefreshLock(connection, new RedisLockSettings(name, options.KeyPrefix, options.LockLease, options.LockWaitTimeout, options.RenewLease, logger)));
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
