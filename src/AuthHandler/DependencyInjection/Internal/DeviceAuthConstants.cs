namespace AuthHandler;

internal static class DeviceAuthConstants
{
    public static readonly TimeSpan RefreshWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan RefreshRetryDelay = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan BackchannelTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan BackchannelFirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan BackchannelMaxRetryAfter = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DiscoveryCacheDuration = TimeSpan.FromHours(1);
    public static readonly TimeSpan RefreshLockTimeout = TimeSpan.FromSeconds(60);
    public const int BackchannelMaxRetryAttempts = 2;
    public const string AuthorizationHeaderName = "Authorization";
    public const string LoggerCategory = "AuthHandler";
    public const string BackchannelPrefix = "AuthHandler.Backchannel:";

    public static string BackchannelName(string clientName) => BackchannelPrefix + clientName;

    /// <summary>
    /// <c>AUTHHANDLER_HOME</c> when set, otherwise <c>AuthHandler</c> in the user's application-data
    /// directory (<c>~/.config/AuthHandler</c> on Linux, <c>%APPDATA%\AuthHandler</c> on Windows).
    /// </summary>
    public static string DefaultStorageDirectory() =>
        Environment.GetEnvironmentVariable("AUTHHANDLER_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "AuthHandler");

    /// <summary>
    /// One store entry per authority, client id and scope set (scopes sorted, so their order in
    /// the options does not matter).
    /// </summary>
    public static string StoreKey(string authority, string clientId, string? scope)
    {
        var scopes = (scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Array.Sort(scopes, StringComparer.Ordinal);
        return $"{authority.TrimEnd('/')}|{clientId}|{string.Join(' ', scopes)}";
    }
}
