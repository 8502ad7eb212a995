using System.Text;

namespace ApiClient.Cli;

/// <summary>Which authorization server and client to use, and where the tokens live.</summary>
internal sealed record ServerSettings
{
    public required string Authority { get; init; }

    public required string ClientId { get; init; }

    public string? ClientSecret { get; init; }

    public string? Scope { get; init; }

    /// <summary>The token directory, always resolved (never the library's implicit default), so status can read it too.</summary>
    public required string StoreDirectory { get; init; }

    /// <summary>Whether the directory came from --store, AUTHHANDLER_STORE or the remembered file rather than the default.</summary>
    public bool StoreGiven { get; init; }

    public Uri? TokenEndpoint { get; init; }

    public Uri? DeviceEndpoint { get; init; }

    public Uri? RevocationEndpoint { get; init; }

    /// <summary>Whether the session asks for DPoP-bound tokens (--dpop, AUTHHANDLER_DPOP, or what login remembered).</summary>
    public bool DPoP { get; init; }

    /// <summary>Whether --dpop was on this command line, so the login command in a hint repeats it.</summary>
    public bool DPoPFromCommandLine { get; init; }

    /// <summary>The options among --authority, --client-id, --scope and --store that this command line gave.</summary>
    public IReadOnlySet<string> FromCommandLine { get; init; } = new HashSet<string>();

    /// <summary>What login remembers of these settings: no secret, and the store only when one was chosen.</summary>
    public RememberedServer ToRemembered() => new()
    {
        Authority = Authority,
        ClientId = ClientId,
        Scope = Scope,
        Store = StoreGiven ? StoreDirectory : null,
        TokenEndpoint = TokenEndpoint?.AbsoluteUri,
        DeviceEndpoint = DeviceEndpoint?.AbsoluteUri,
        RevocationEndpoint = RevocationEndpoint?.AbsoluteUri,
        DPoP = DPoP ? true : null,
    };

    /// <summary>
    /// The login command that signs in to the same store entry, as the user can run it from where
    /// they are (<see cref="CommandName"/>). It repeats only the options typed on this command line:
    /// values from environment variables or the remembered file reach login the same way. Never the secret.
    /// </summary>
    public string LoginCommand()
    {
        var command = new StringBuilder(CommandName.With("login"));
        Append(command, "--authority", Authority);
        Append(command, "--client-id", ClientId);
        Append(command, "--scope", Scope);
        Append(command, "--store", StoreDirectory);
        if (DPoP && DPoPFromCommandLine)
        {
            command.Append(" --dpop");
        }

        return command.ToString();
    }

    private void Append(StringBuilder command, string option, string? value)
    {
        if (FromCommandLine.Contains(option) && !string.IsNullOrWhiteSpace(value))
        {
            command.Append(' ').Append(option).Append(' ').Append(CommandName.Quote(value));
        }
    }
}
