using AuthHandler.Storage.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>A successful RFC 6749 §5.1 token response, as the server sent it.</summary>
internal sealed class TokenResponse
{
    public required string AccessToken { get; init; }

    public string? TokenType { get; init; }

    public TimeSpan? ExpiresIn { get; init; }

    public string? RefreshToken { get; init; }

    public TimeSpan? RefreshTokenExpiresIn { get; init; }

    public string? Scope { get; init; }

    /// <summary>The OpenID Connect ID token, when the server sent one that can be kept (printable ASCII, bounded).</summary>
    public string? IdToken { get; init; }

    /// <summary>
    /// Turns the response into a token set received at <paramref name="now"/>. A response without
    /// a refresh token keeps the refresh token of <paramref name="previous"/> (RFC 6749 §6: the server may
    /// leave the refresh token unchanged), and one without an ID token keeps its ID token (OIDC Core
    /// §12.2: a refresh response may omit it). The expiries saturate rather than overflow. The DPoP
    /// key is <paramref name="dpopKey"/> (a sign-in's new key), else that of <paramref name="previous"/>.
    /// </summary>
    public TokenSet ToTokenSet(DateTimeOffset now, TimeSpan defaultLifetime, TokenSet? previous, string? dpopKey = null)
    {
        var keepPrevious = RefreshToken is null && previous is not null;
        return new TokenSet(AccessToken, SaturatingTime.Add(now, ExpiresIn ?? defaultLifetime))
        {
            TokenType = string.IsNullOrEmpty(TokenType) ? "Bearer" : TokenType,
            RefreshToken = keepPrevious ? previous!.RefreshToken : RefreshToken,
            RefreshTokenExpiresAt = keepPrevious
                ? previous!.RefreshTokenExpiresAt
                : RefreshTokenExpiresIn is { } refreshLifetime ? SaturatingTime.Add(now, refreshLifetime) : null,
            Scope = Scope ?? previous?.Scope,
            IssuedAt = now,
            IdToken = IdToken ?? previous?.IdToken,
            DPoPKey = dpopKey ?? previous?.DPoPKey,
        };
    }
}
