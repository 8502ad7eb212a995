namespace AuthHandler;

/// <summary>Why a session needs the user to sign in again.</summary>
public enum SignInRequiredReason
{
    /// <summary>Not known: the default value, never reported by the library.</summary>
    Unknown,

    /// <summary>The token store holds no tokens for this session.</summary>
    NoTokens,

    /// <summary>The token endpoint rejected the refresh token (<c>invalid_grant</c>, RFC 6749 §5.2).</summary>
    RefreshRejected,

    /// <summary>The refresh token's own expiry has passed; no call was made.</summary>
    RefreshTokenExpired,

    /// <summary>The API rejected the access token and there is no refresh token to get another.</summary>
    NoRefreshToken,

    /// <summary>The token store holds an entry it cannot read (e.g. a corrupted file); it is left untouched until a new sign-in.</summary>
    TokenStoreUnreadable,

    /// <summary>An interactive sign-in on demand did not complete (declined, expired or failed).</summary>
    SignInFailed,

    /// <summary>
    /// The token endpoint rejected a refresh token whose earlier redemption got no answer (a lost
    /// response, or a holder of the refresh lock that stopped before it stored the new tokens):
    /// with rotation, the server took the second presentation for reuse and revoked the grant
    /// (RFC 9700 §4.14). Told apart from <see cref="RefreshRejected"/> so that operators can see a
    /// sign-out caused by infrastructure rather than by the user or the server.
    /// </summary>
    RefreshAnswerLost,

    /// <summary>
    /// The stored tokens do not fit the session's DPoP setting (<see cref="DPoPOptions.Enabled"/>):
    /// bound to a key (RFC 9449) while DPoP is off, or bearer tokens while it is on. They are kept
    /// but not sent; a new sign-in makes tokens that fit, or the setting can be changed back.
    /// </summary>
    DPoPSettingChanged,
}
