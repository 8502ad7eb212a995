namespace AuthHandler.DependencyInjection.Internal;

internal static class RedisTokenCoordinationConstants
{
    public const string KeyPrefix = "authhandler:";
    public const string DataProtectionPurpose = "AuthHandler.Redis.Tokens.v1";
    public const string LoggerCategory = "AuthHandler.Redis";
    public static readonly TimeSpan LockLease = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LockWaitTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MinimumLockLease = TimeSpan.FromSeconds(1);
}
