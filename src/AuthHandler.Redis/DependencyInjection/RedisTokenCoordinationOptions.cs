using AuthHandler.DependencyInjection.Internal;
using StackExchange.Redis;

namespace AuthHandler;

/// <summary>
/// Options of <c>AddRedisTokenCoordination</c>: where Redis is, how its keys are named, the lease
/// and wait of the refresh lock, and the Data Protection purpose that protects the tokens at rest.
/// Named after the HTTP client and validated at start.
/// </summary>
/// <remarks>
/// <para>
/// Set at most one of <see cref="Configuration"/> and <see cref="ConnectionMultiplexerFactory"/>;
/// with neither, the application's <see cref="IConnectionMultiplexer"/> service is used.
/// </para>
/// <para>
/// Keys, for a session store key <c>K</c> and <c>H</c> = the first 16 bytes of SHA-256(UTF-8 of
/// <c>K</c>) in lowercase hex (so no authority URL or client id appears in a key name):
/// <c>{KeyPrefix}tokens:{H}</c> holds the protected token set (a string, no expiry);
/// <c>{KeyPrefix}lock:{H}</c> holds the lease owner's random id (a string with a PX expiry of
/// <see cref="LockLease"/>); <c>{KeyPrefix}fence:{H}</c> holds the fencing counter (an integer,
/// incremented on every acquisition, no expiry). The braces are literal: they make <c>H</c> the
/// Redis Cluster hash tag, so the three keys of one store key share a slot and one script can use them.
/// </para>
/// </remarks>
public sealed class RedisTokenCoordinationOptions
{
    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string (for example
    /// <c>redis.internal:6379,ssl=true,password=…</c>). The coordination then owns its own
    /// connection, opened on first use with <c>abortConnect=false</c> so that Redis being down at
    /// start-up is a transient failure, and closed with the service provider.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Configuration { get; set; }

    /// <summary>
    /// Gets or sets a factory that returns the connection to use, for applications that share one
    /// multiplexer. The connection is not disposed by the coordination.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<IServiceProvider, IConnectionMultiplexer>? ConnectionMultiplexerFactory { get; set; }

    /// <summary>
    /// Gets or sets the prefix of every key. Must not contain <c>{</c> or <c>}</c>, which would
    /// change the keys' Redis Cluster hash tag.
    /// </summary>
    /// <value>The default value is <c>authhandler:</c>.</value>
    public string KeyPrefix { get; set; } = RedisTokenCoordinationConstants.KeyPrefix;

    /// <summary>
    /// Gets or sets the lease of the refresh lock: how long Redis keeps the lock for a holder that
    /// stopped renewing it (a crashed or frozen instance). A live holder renews the lease every
    /// third of it, so a refresh may take longer than the lease; a holder that dies stalls the
    /// others for at most about this long. Must be at least one second.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan LockLease { get; set; } = RedisTokenCoordinationConstants.LockLease;

    /// <summary>
    /// Gets or sets how long a refresh waits for the lock held by another session or instance
    /// before it fails as transient (the tokens are kept; the next request tries again). Redis
    /// being unreachable is waited out within the same bound. Waiting uses the real clock, like
    /// the other instances and Redis's lease.
    /// </summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan LockWaitTimeout { get; set; } = RedisTokenCoordinationConstants.LockWaitTimeout;

    /// <summary>
    /// Gets or sets the Data Protection purpose of the protector that encrypts the tokens at rest.
    /// Every instance must use the same purpose and share one key ring.
    /// </summary>
    /// <value>The default value is <c>AuthHandler.Redis.Tokens.v1</c>.</value>
    public string DataProtectionPurpose { get; set; } = RedisTokenCoordinationConstants.DataProtectionPurpose;

    /// <summary>
    /// Whether a holder renews its lease while it holds the lock. Off only in tests that need a
    /// lease to run out under a live holder (what a frozen process would cause).
    /// </summary>
    internal bool RenewLease { get; set; } = true;
}
