using AuthHandler;

namespace ApiClient.Output;

/// <summary>What can be said about a sign-in without showing a token: for status and signed_in.</summary>
internal sealed record SessionReport
{
    public required bool SignedIn { get; init; }

    public required string Authority { get; init; }

    public required string ClientId { get; init; }

    /// <summary>The granted scope when the server said, otherwise the requested one.</summary>
    public string? Scope { get; init; }

    /// <summary>The user, when the server issued an ID token that names one; never a token itself.</summary>
    public string? Account { get; init; }

    public DateTimeOffset? AccessTokenExpiresAt { get; init; }

    public bool HasRefreshToken { get; init; }

    public DateTimeOffset? RefreshTokenExpiresAt { get; init; }

    /// <summary>The RFC 7638 thumbprint (public) of the key the stored tokens are bound to (DPoP, RFC 9449); null: bearer tokens.</summary>
    public string? DPoPThumbprint { get; init; }

    /// <summary>Whether this command asked for DPoP (--dpop, AUTHHANDLER_DPOP or remembered).</summary>
    public bool DPoPRequested { get; init; }

    /// <summary>The directory of the token store (the library keeps the file name to itself).</summary>
    public string? StoreDirectory { get; init; }

    /// <summary>Where the tokens are kept (credential store or file, and why the file); null: in <see cref="StoreDirectory"/>.</summary>
    public TokenStorageLocation? Storage { get; init; }

    /// <summary>Why the session is not usable, when it is not.</summary>
    public string? Problem { get; init; }

    /// <summary>The command that signs in again, when a sign-in is needed.</summary>
    public string? LoginCommand { get; init; }
}
