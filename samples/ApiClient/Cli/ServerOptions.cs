using System.CommandLine;

namespace ApiClient.Cli;

/// <summary>
/// The options that name the authorization server, the client and the token store. Each falls
/// back to an environment variable, read after parsing (not as a default value, so that --help
/// never prints a secret taken from the environment).
/// </summary>
internal sealed class ServerOptions
{
    public Option<string> Authority { get; } = new("--authority")
    {
        Description = "The authorization server's issuer URL; https, or http on loopback. Endpoints come from its discovery document. Required. [env: AUTHHANDLER_AUTHORITY]",
        HelpName = "URL",
    };

    public Option<string> ClientId { get; } = new("--client-id")
    {
        Description = "The OAuth client id. Required. [env: AUTHHANDLER_CLIENT_ID]",
        HelpName = "ID",
    };

    public Option<string> Scope { get; } = new("--scope")
    {
        Description = "Space-separated scopes, e.g. \"openid offline_access\". Part of the store entry's key. [env: AUTHHANDLER_SCOPE]",
        HelpName = "\"S1 S2\"",
    };

    public Option<string> Store { get; } = new("--store")
    {
        Description = "The directory of the token files and device id (owner-only). Processes sharing it share one sign-in and one refresh. [env: AUTHHANDLER_STORE; default: $AUTHHANDLER_HOME, else ~/.config/AuthHandler]",
        HelpName = "DIR",
    };

    public Option<string> ClientSecret { get; } = new("--client-secret")
    {
        Description = "The client secret, for confidential clients (sent with HTTP Basic). Never printed. [env: AUTHHANDLER_CLIENT_SECRET]",
        HelpName = "SECRET",
    };

    public Option<string> TokenEndpoint { get; } = new("--token-endpoint")
    {
        Description = "The token endpoint, for servers without discovery. [env: AUTHHANDLER_TOKEN_ENDPOINT]",
        HelpName = "URL",
    };

    public Option<string> DeviceEndpoint { get; } = new("--device-endpoint")
    {
        Description = "The device authorization endpoint, for servers without discovery. [env: AUTHHANDLER_DEVICE_ENDPOINT]",
        HelpName = "URL",
    };

    public Option<string> RevocationEndpoint { get; } = new("--revocation-endpoint")
    {
        Description = "The revocation endpoint used by logout, for servers without discovery. [env: AUTHHANDLER_REVOCATION_ENDPOINT]",
        HelpName = "URL",
    };

    public void AddTo(Command command)
    {
        command.Add(Authority);
        command.Add(ClientId);
        command.Add(Scope);
        command.Add(Store);
        command.Add(ClientSecret);
        command.Add(TokenEndpoint);
        command.Add(DeviceEndpoint);
        command.Add(RevocationEndpoint);
    }

    /// <summary>Reads the options, falling back to the environment; <paramref name="error"/> says what is missing or malformed.</summary>
    public ServerSettings? Resolve(ParseResult parseResult, out string? error)
    {
        error = null;
        var authority = Value(parseResult, Authority, EnvironmentVariables.Authority);
        var clientId = Value(parseResult, ClientId, EnvironmentVariables.ClientId);
        if (authority is null)
        {
            error = $"Missing --authority (or set {EnvironmentVariables.Authority}).";
            return null;
        }

        if (clientId is null)
        {
            error = $"Missing --client-id (or set {EnvironmentVariables.ClientId}).";
            return null;
        }

        if (!IsHttpUrl(authority))
        {
            error = $"--authority '{authority}' is not an absolute http(s) URL.";
            return null;
        }

        var store = Value(parseResult, Store, EnvironmentVariables.Store);
        var settings = new ServerSettings
        {
            Authority = authority,
            ClientId = clientId,
            ClientSecret = Value(parseResult, ClientSecret, EnvironmentVariables.ClientSecret),
            Scope = Value(parseResult, Scope, EnvironmentVariables.Scope),
            StoreDirectory = Path.GetFullPath(store ?? DefaultStoreDirectory()),
            StoreGiven = store is not null,
            TokenEndpoint = Endpoint(parseResult, TokenEndpoint, EnvironmentVariables.TokenEndpoint, ref error),
            DeviceEndpoint = Endpoint(parseResult, DeviceEndpoint, EnvironmentVariables.DeviceEndpoint, ref error),
            RevocationEndpoint = Endpoint(parseResult, RevocationEndpoint, EnvironmentVariables.RevocationEndpoint, ref error),
        };
        return error is null ? settings : null;
    }

    /// <summary>The library's default: $AUTHHANDLER_HOME, else AuthHandler in the user's application-data directory.</summary>
    public static string DefaultStoreDirectory() =>
        EnvironmentVariables.Get(EnvironmentVariables.Home)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "AuthHandler");

    public static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string? Value(ParseResult parseResult, Option<string> option, string variable) =>
        parseResult.GetValue(option) is { Length: > 0 } value ? value : EnvironmentVariables.Get(variable);

    private static Uri? Endpoint(ParseResult parseResult, Option<string> option, string variable, ref string? error)
    {
        var value = Value(parseResult, option, variable);
        if (value is null)
        {
            return null;
        }

        if (!IsHttpUrl(value))
        {
            error ??= $"{option.Name} '{value}' is not an absolute http(s) URL.";
            return null;
        }

        return new Uri(value);
    }
}
