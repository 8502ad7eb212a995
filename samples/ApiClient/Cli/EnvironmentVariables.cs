namespace ApiClient.Cli;

/// <summary>The environment variables that stand in for command-line options.</summary>
internal static class EnvironmentVariables
{
    public const string Authority = "AUTHHANDLER_AUTHORITY";
    public const string ClientId = "AUTHHANDLER_CLIENT_ID";
    public const string ClientSecret = "AUTHHANDLER_CLIENT_SECRET";
    public const string Scope = "AUTHHANDLER_SCOPE";
    public const string Store = "AUTHHANDLER_STORE";
    public const string TokenEndpoint = "AUTHHANDLER_TOKEN_ENDPOINT";
    public const string DeviceEndpoint = "AUTHHANDLER_DEVICE_ENDPOINT";
    public const string RevocationEndpoint = "AUTHHANDLER_REVOCATION_ENDPOINT";
    public const string DPoP = "AUTHHANDLER_DPOP";
    public const string Json = "AUTHHANDLER_JSON";
    public const string NoColor = "AUTHHANDLER_NO_COLOR";
    public const string Verbose = "AUTHHANDLER_VERBOSE";

    /// <summary>The program login opens the verification URL with, given the URL as its one argument.</summary>
    public const string Browser = "AUTHHANDLER_BROWSER";

    /// <summary>The library's own default for the storage directory; used when neither --store nor AUTHHANDLER_STORE is set.</summary>
    public const string Home = "AUTHHANDLER_HOME";

    /// <summary>The cross-tool convention (https://no-color.org): any non-empty value turns colors off.</summary>
    public const string NoColorConvention = "NO_COLOR";

    public const string HelpText =
        """
        Environment variables (a command-line option wins over its variable, a variable over what login remembered):
          AUTHHANDLER_AUTHORITY            --authority
          AUTHHANDLER_CLIENT_ID            --client-id
          AUTHHANDLER_CLIENT_SECRET        --client-secret
          AUTHHANDLER_SCOPE                --scope
          AUTHHANDLER_STORE                --store (default: $AUTHHANDLER_HOME, else ~/.config/AuthHandler)
          AUTHHANDLER_TOKEN_ENDPOINT       --token-endpoint
          AUTHHANDLER_DEVICE_ENDPOINT      --device-endpoint
          AUTHHANDLER_REVOCATION_ENDPOINT  --revocation-endpoint
          AUTHHANDLER_DPOP=1               --dpop (0 turns off a remembered --dpop)
          AUTHHANDLER_JSON=1               --json
          AUTHHANDLER_NO_COLOR=1, NO_COLOR --no-color
          AUTHHANDLER_VERBOSE=1            --verbose
          AUTHHANDLER_BROWSER              the program login opens the verification URL with (default: xdg-open, open, or Windows' URL handler)
          AUTHHANDLER_DEMO_AUTO_APPROVE=1  demo --browser only: the embedded server approves at once, an in-process stand-in follows its redirect
        """;

    /// <summary>Demo-only: <c>demo --browser</c> approves without a person (no Approve/Deny page, no real browser).</summary>
    public const string DemoAutoApprove = "AUTHHANDLER_DEMO_AUTO_APPROVE";

    public static string? Get(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>True for 1, true, yes, on (any case).</summary>
    public static bool IsSet(string name) =>
        Get(name)?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON";

    /// <summary>True for 0, false, no, off (any case): set, and saying no.</summary>
    public static bool IsUnset(string name) =>
        Get(name)?.Trim().ToUpperInvariant() is "0" or "FALSE" or "NO" or "OFF";
}
