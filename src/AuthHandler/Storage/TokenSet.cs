using System.Diagnostics;
using System.Globalization;

namespace AuthHandler;

/// <summary>
/// The tokens a session holds for one sign-in: the access token, the refresh token when the server
/// issued one, and when each expires. Instances are immutable.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> and the debugger display never show a token value.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class TokenSet
{
    /// <summary>Creates a token set.</summary>
    /// <param name="accessToken">The access token. Must not be empty.</param>
    /// <param name="expiresAt">When the access token expires.</param>
    /// <exception cref="ArgumentException"><paramref name="accessToken"/> is empty.</exception>
    public TokenSet(string accessToken, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        AccessToken = accessToken;
        ExpiresAt = expiresAt;
    }

    /// <summary>Gets the access token.</summary>
    public string AccessToken { get; }

    /// <summary>Gets when the access token expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Gets the token type the server named (RFC 6749 §7.1).</summary>
    /// <value>The default value is <c>Bearer</c>.</value>
    public string TokenType { get; init; } = "Bearer";

    /// <summary>Gets the refresh token, or <see langword="null"/> when the server issued none.</summary>
    public string? RefreshToken { get; init; }

    /// <summary>Gets when the refresh token expires, when the server said so.</summary>
    public DateTimeOffset? RefreshTokenExpiresAt { get; init; }

    /// <summary>Gets the space-separated scopes the server granted, when it said so.</summary>
    public string? Scope { get; init; }

    /// <summary>
    /// Gets the OpenID Connect ID token the token endpoint issued with these tokens, when it issued
    /// one (OIDC Core §3.1.3.3; with the <c>openid</c> scope). A refresh answered without one keeps
    /// the previous one (OIDC Core §12.2). Kept so that the session can describe the signed-in
    /// account (<see cref="IDeviceAuthSession.GetAccountAsync"/>); never sent to an API, and never
    /// shown by <see cref="ToString"/> or in logs.
    /// </summary>
    public string? IdToken { get; init; }

    /// <summary>
    /// Gets the private key these tokens are bound to (DPoP, RFC 9449), in the library's own
    /// opaque text form, or <see langword="null"/> for tokens that are not bound. A secret like the
    /// refresh token: a store of the app's own keeps it in the same entry as the tokens, protected
    /// the same way, and never logs it. Never shown by <see cref="ToString"/>.
    /// </summary>
    public string? DPoPKey { get; init; }

    /// <summary>
    /// Gets when the access token was received. Used with <see cref="ExpiresAt"/> to work out the
    /// token's lifetime, which bounds the refresh window.
    /// </summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>
    /// The redemption marker: set while a refresh holding the lock redeems this set's refresh
    /// token, so that the next holder can tell that the answer may have been lost (a crash, a
    /// failed write) and the refresh token may be spent. Stores keep it like the other fields.
    /// </summary>
    internal string? Redeeming { get; init; }

    /// <summary>A copy of this set with <paramref name="marker"/> as its redemption marker (null: none).</summary>
    internal TokenSet WithRedeeming(string? marker) => new(AccessToken, ExpiresAt)
    {
        TokenType = TokenType,
        RefreshToken = RefreshToken,
        RefreshTokenExpiresAt = RefreshTokenExpiresAt,
        Scope = Scope,
        IssuedAt = IssuedAt,
        IdToken = IdToken,
        DPoPKey = DPoPKey,
        Redeeming = marker,
    };

    /// <summary>Returns a description of the token set that contains no token value.</summary>
    /// <returns>The token type, expiry, scope and whether a refresh token, an ID token and a DPoP key are present.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"TokenSet {{ TokenType = {TokenType}, ExpiresAt = {ExpiresAt:O}, HasRefreshToken = {RefreshToken is not null}, HasIdToken = {IdToken is not null}, DPoPBound = {DPoPKey is not null}, Scope = {Scope} }}");
}
