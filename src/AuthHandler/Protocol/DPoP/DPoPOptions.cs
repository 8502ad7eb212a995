namespace AuthHandler;

/// <summary>
/// Sender-constrained tokens (DPoP, RFC 9449): the session binds its access and refresh tokens to
/// a key pair it creates at sign-in and keeps with the tokens, in the same store entry, written
/// under the same lock. A copied refresh token is then worth nothing without the private key.
/// </summary>
public sealed class DPoPOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether the session asks for DPoP-bound tokens: every
    /// token request and every API request carries a fresh proof signed with the session's key,
    /// and the token is sent as <c>Authorization: DPoP …</c>. A sign-in made with this off holds
    /// bearer tokens; sign in again after turning it on.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Enabled { get; set; }
}
