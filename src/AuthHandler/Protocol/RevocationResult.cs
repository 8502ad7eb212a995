namespace AuthHandler;

/// <summary>What happened to the refresh token at the server when the session signed out (RFC 7009).</summary>
public enum RevocationResult
{
    /// <summary>There was no refresh token to revoke. The zero value: nothing happened at the server.</summary>
    NothingToRevoke,

    /// <summary>The server revoked the refresh token.</summary>
    Revoked,

    /// <summary>The server has no revocation endpoint; the token was only deleted locally.</summary>
    NotSupported,

    /// <summary>Revocation failed (see the log); the token was deleted locally all the same.</summary>
    Failed,
}
