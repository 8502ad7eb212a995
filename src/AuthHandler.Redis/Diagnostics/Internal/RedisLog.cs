using Microsoft.Extensions.Logging;

namespace AuthHandler.Diagnostics.Internal;

/// <summary>
/// The Redis coordination's log messages (category <c>AuthHandler.Redis</c>, event ids from 1000).
/// Keys appear only as the hash of the store key; never a token.
/// </summary>
internal static partial class RedisLog
{
    [LoggerMessage(1000, LogLevel.Debug, "Client {ClientName} took the Redis refresh lock {KeyId} with fencing token {Fence}")]
    public static partial void LockAcquired(ILogger logger, string clientName, string keyId, long fence);

    [LoggerMessage(1001, LogLevel.Warning, "Client {ClientName} gave up waiting for the Redis refresh lock {KeyId} after {WaitMilliseconds} ms; another session or instance holds it")]
    public static partial void LockWaitTimedOut(ILogger logger, string clientName, string keyId, long waitMilliseconds);

    [LoggerMessage(1002, LogLevel.Warning, "Redis is unavailable for the {Component} of client {ClientName}; the tokens are kept")]
    public static partial void RedisUnavailable(ILogger logger, string clientName, string component, Exception exception);

    [LoggerMessage(1003, LogLevel.Warning, "Client {ClientName} could not renew the lease of the Redis refresh lock {KeyId}; trying again")]
    public static partial void LeaseRenewalFailed(ILogger logger, string clientName, string keyId, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "Client {ClientName} lost the lease of the Redis refresh lock {KeyId} (fencing token {Fence}); its later writes will be discarded")]
    public static partial void LeaseLost(ILogger logger, string clientName, string keyId, long fence);

    [LoggerMessage(1005, LogLevel.Warning, "Client {ClientName} could not release the Redis refresh lock {KeyId}; its lease will run out by itself")]
    public static partial void LockReleaseFailed(ILogger logger, string clientName, string keyId, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "Client {ClientName} discarded a token write to Redis: fencing token {Fence} of lock {KeyId} is no longer current")]
    public static partial void FencedWriteRejected(ILogger logger, string clientName, string keyId, long fence);
}
