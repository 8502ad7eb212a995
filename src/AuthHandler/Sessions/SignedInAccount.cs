using System.Diagnostics;
using System.Globalization;

namespace AuthHandler;

/// <summary>
/// Who is signed in and what the stored sign-in allows, read from the token store without a
/// network call (<see cref="IDeviceAuthSession.GetAccountAsync"/>). Holds no token.
/// </summary>
/// <remarks>
/// <para>
/// The claims (<see cref="Subject"/>, <see cref="Name"/>, <see cref="PreferredUsername"/>,
/// <see cref="Email"/>, <see cref="Issuer"/>) come from the OpenID Connect ID token the token
/// endpoint issued, when it issued one (OIDC Core §5.1). They are read <b>without validating the
/// token's signature</b>: the token came straight from the token endpoint over TLS (OIDC Core
/// §3.1.3.7 allows TLS server validation in place of the signature check for this case), and the
/// values are for display only. Do not use them to make authorization decisions. Without an ID
/// token, or with one that cannot be decoded, they are <see langword="null"/>; access tokens are
/// meant for the API and are never decoded.
/// </para>
/// <para>Claim values are stripped of control and format characters and bounded in length.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SignedInAccount
{
    /// <summary>Gets the subject (<c>sub</c>): the user's identifier at the issuer.</summary>
    public string? Subject { get; init; }

    /// <summary>Gets the issuer (<c>iss</c>) of the ID token.</summary>
    public string? Issuer { get; init; }

    /// <summary>Gets the user's full name (<c>name</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Gets the name the user goes by (<c>preferred_username</c>); not unique, not stable.</summary>
    public string? PreferredUsername { get; init; }

    /// <summary>Gets the user's e-mail address (<c>email</c>).</summary>
    public string? Email { get; init; }

    /// <summary>
    /// Gets the scopes the server granted (the token response's <c>scope</c>, RFC 6749 §5.1), or
    /// an empty list when it did not say.
    /// </summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Gets when the stored access token expires; a refresh token, when held, replaces it on the next use.</summary>
    public required DateTimeOffset AccessTokenExpiresAt { get; init; }

    /// <summary>Gets whether a refresh token is stored.</summary>
    public bool HasRefreshToken { get; init; }

    /// <summary>Gets when the refresh token expires, when the server said so.</summary>
    public DateTimeOffset? RefreshTokenExpiresAt { get; init; }

    /// <summary>Returns a description of the account that contains no token and no personal claim but the subject.</summary>
    /// <returns>The subject, scopes, expiries and whether a refresh token is held.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"SignedInAccount {{ Subject = {Subject}, Scopes = {string.Join(' ', Scopes)}, AccessTokenExpiresAt = {AccessTokenExpiresAt:O}, HasRefreshToken = {HasRefreshToken}, RefreshTokenExpiresAt = {RefreshTokenExpiresAt:O} }}");
}
