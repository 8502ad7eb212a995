namespace ApiClient.Cli;

/// <summary>
/// What <c>login</c> remembers for later commands: which server, client and scope, and where the
/// tokens went. Nothing secret: never the client secret, never a token (those stay in the owner-only
/// token store, which has its own rules).
/// </summary>
internal sealed record RememberedServer
{
    public required string Authority { get; init; }

    public required string ClientId { get; init; }

    public string? Scope { get; init; }

    /// <summary>The token directory, when login was given one; otherwise later commands use the default too.</summary>
    public string? Store { get; init; }

    public string? TokenEndpoint { get; init; }

    public string? DeviceEndpoint { get; init; }

    public string? RevocationEndpoint { get; init; }

    /// <summary>Whether login asked for DPoP-bound tokens (<c>--dpop</c>); later commands then send proofs too.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dpop")]
    public bool? DPoP { get; init; }
}
