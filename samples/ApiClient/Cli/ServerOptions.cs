using System.CommandLine;

namespace ApiClient.Cli;

/// <summary>
/// The options that name the authorization server, the client and the token store. Each falls
/// back to an environment variable, read after parsing (not as a default value, so that --help
/// never prints a secret taken from the environment), and then to what login remembered.
/// </summary>
internal sealed class ServerOptions
{
    public Option<string> Authority { get; } = new("--authority")
    {
        Description = "The authorization server's issuer URL; https, or http on loopback. Endpoints come from its discovery document. Required, unless remembered by an earlier login. [env: AUTHHANDLER_AUTHORITY]",
        HelpName = "URL",
    };

    public Option<string> ClientId { get; } = new("--client-id")
    {
        Description = "The OAuth client id. Required, unless remembered by an earlier login. [env: AUTHHANDLER_CLIENT_ID]",
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

    public Option<bool> DPoP { get; } = new("--dpop")
    {
        Description = "Ask for DPoP-bound tokens (RFC 9449): a key pair made at sign-in and kept with the tokens signs a proof for every token and API request, and the API gets 'Authorization: DPoP'. Set at login; remembered for call, status and logout. [env: AUTHHANDLER_DPOP=1 (or 0)]",
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
        command.Add(DPoP);
    }

    /// <summary>
    /// Resolves each value: this command line, then its environment variable, then what the last
    /// successful login remembered, and there is no default server (the offline demo needs none).
    /// <paramref name="error"/> says what is missing or malformed in the terms the user typed;
    /// <paramref name="warning"/> is set when the remembered file had to be ignored.
    /// </summary>
    public ServerSettings? Resolve(ParseResult parseResult, out string? error, out string? warning)
    {
        error = null;
        warning = null;
        var authority = Value(parseResult, Authority, EnvironmentVariables.Authority);
        var clientId = Value(parseResult, ClientId, EnvironmentVariables.ClientId);
        var scope = Value(parseResult, Scope, EnvironmentVariables.Scope);
        var store = Value(parseResult, Store, EnvironmentVariables.Store);
        var tokenEndpoint = Value(parseResult, TokenEndpoint, EnvironmentVariables.TokenEndpoint);
        var deviceEndpoint = Value(parseResult, DeviceEndpoint, EnvironmentVariables.DeviceEndpoint);
        var revocationEndpoint = Value(parseResult, RevocationEndpoint, EnvironmentVariables.RevocationEndpoint);
        var dpop = Flag(parseResult, DPoP, EnvironmentVariables.DPoP);

        if (authority is null || clientId is null || scope is null || store is null || tokenEndpoint is null || deviceEndpoint is null || revocationEndpoint is null || dpop is null)
        {
            // What was remembered belongs to one server and client: the client id is used only
            // with that server, and the scope, store and endpoints only with that server and client,
            // so nothing travels to a server or client it was not meant for.
            var remembered = RememberedConfig.Load(out warning);
            if (remembered is not null)
            {
                authority ??= FromFile(remembered.Authority, "authority");
                if (SameAuthority(authority!.Value.Value, remembered.Authority))
                {
                    clientId ??= FromFile(remembered.ClientId, "client_id");
                    if (clientId?.Value == remembered.ClientId)
                    {
                        scope ??= FromFile(remembered.Scope, "scope");
                        store ??= FromFile(remembered.Store, "store");
                        tokenEndpoint ??= FromFile(remembered.TokenEndpoint, "token_endpoint");
                        deviceEndpoint ??= FromFile(remembered.DeviceEndpoint, "device_endpoint");
                        revocationEndpoint ??= FromFile(remembered.RevocationEndpoint, "revocation_endpoint");
                        dpop ??= remembered.DPoP;
                    }
                }
            }
        }

        if (authority is null)
        {
            error = $"No authorization server: pass --authority URL and --client-id ID (or set {EnvironmentVariables.Authority} and {EnvironmentVariables.ClientId}); "
                + $"login remembers them for call, status and logout. To try the sample without a server, run the offline demo: {CommandName.Demo}";
            return null;
        }

        if (clientId is null)
        {
            error = $"Missing --client-id (or set {EnvironmentVariables.ClientId}): the OAuth client id registered at {authority.Value.Value}.";
            return null;
        }

        error = CheckUrl(authority.Value, "the issuer URL, e.g. https://id.example.com");
        var settings = new ServerSettings
        {
            Authority = authority.Value.Value,
            ClientId = clientId.Value.Value,
            ClientSecret = Value(parseResult, ClientSecret, EnvironmentVariables.ClientSecret)?.Value,
            Scope = scope?.Value,
            StoreDirectory = Path.GetFullPath(store?.Value ?? DefaultStoreDirectory()),
            StoreGiven = store is not null,
            TokenEndpoint = Endpoint(tokenEndpoint, ref error),
            DeviceEndpoint = Endpoint(deviceEndpoint, ref error),
            RevocationEndpoint = Endpoint(revocationEndpoint, ref error),
            DPoP = dpop ?? false,
            DPoPFromCommandLine = parseResult.GetValue(DPoP),
            FromCommandLine = new[] { authority, clientId, scope, store }
                .Where(setting => setting is { FromCommandLine: true })
                .Select(setting => setting!.Value.Origin)
                .ToHashSet(StringComparer.Ordinal),
        };
        return error is null ? settings : null;
    }

    /// <summary>The library's default: $AUTHHANDLER_HOME, else AuthHandler in the user's application-data directory.</summary>
    public static string DefaultStoreDirectory() =>
        EnvironmentVariables.Get(EnvironmentVariables.Home)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "AuthHandler");

    public static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    /// <summary>
    /// The library's rule for anything that sends or receives a token (an https URL, or http on
    /// loopback, RFC 8252 §8.3), checked here first so the message can name the option, variable
    /// or file the value came from rather than an options property.
    /// </summary>
    /// <param name="setting">The value and where it came from.</param>
    /// <param name="example">What a good value looks like.</param>
    public static string? CheckUrl(Setting setting, string example)
    {
        if (!Uri.TryCreate(setting.Value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"{setting.Origin} '{setting.Value}' is not an absolute http(s) URL; expected {example}.";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            return $"{setting.Origin} '{setting.Value}' must use https: tokens travel over it, and plain http is allowed only on loopback (127.0.0.1, [::1], localhost).";
        }

        return null;
    }

    private static bool SameAuthority(string given, string remembered) =>
        string.Equals(given.TrimEnd('/'), remembered.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static Setting? FromFile(string? value, string key) =>
        value is { Length: > 0 } ? new Setting(value, $"{key} in {RememberedConfig.FilePath}", FromCommandLine: false) : null;

    private static Setting? Value(ParseResult parseResult, Option<string> option, string variable)
    {
        if (parseResult.GetValue(option) is { Length: > 0 } value)
        {
            return new Setting(value, option.Name, FromCommandLine: true);
        }

        return EnvironmentVariables.Get(variable) is { } fromEnvironment ? new Setting(fromEnvironment, variable, FromCommandLine: false) : null;
    }

    /// <summary>The flag when given; else its variable (1/true/yes/on, or 0/false/no/off); else null (what login remembered, then off).</summary>
    private static bool? Flag(ParseResult parseResult, Option<bool> option, string variable)
    {
        if (parseResult.GetValue(option))
        {
            return true;
        }

        return EnvironmentVariables.IsSet(variable) ? true : EnvironmentVariables.IsUnset(variable) ? false : null;
    }

    private static Uri? Endpoint(Setting? setting, ref string? error)
    {
        if (setting is not { } endpoint)
        {
            return null;
        }

        if (CheckUrl(endpoint, "a URL such as https://id.example.com/oauth/token") is { } problem)
        {
            error ??= problem;
            return null;
        }

        return new Uri(endpoint.Value);
    }
}
