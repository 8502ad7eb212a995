using AuthHandler.Protocol.Internal;
using AuthHandler.Storage.Internal;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// When a token set must be refreshed (invariant 4), worked out once per token: a pure function
/// of the tokens and the options, so it is tested with no clock and no HTTP.
/// </summary>
internal sealed class RefreshSchedule
{
    private readonly TimeSpan _refreshWindow;
    private readonly TimeSpan _expirySkew;
    private readonly string? _schemeOverride;

    public RefreshSchedule(TimeSpan refreshWindow, TimeSpan expirySkew, string? schemeOverride)
    {
        _refreshWindow = refreshWindow;
        _expirySkew = expirySkew;
        _schemeOverride = schemeOverride;
    }

    /// <summary>
    /// The header value and the two instants. The window is the smaller of the option and half the
    /// lifetime, and the skew is capped at a quarter of the lifetime, so a short-lived token is not
    /// always "expired". A token set without a refresh token is used until the API rejects it.
    /// </summary>
    public TokenSnapshot CreateSnapshot(TokenSet tokens)
    {
        var header = (_schemeOverride ?? tokens.TokenType) + " " + tokens.AccessToken;
        if (tokens.RefreshToken is null)
        {
            return new TokenSnapshot(tokens, header, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue);
        }

        var window = _refreshWindow;
        var skew = _expirySkew;
        if (tokens.IssuedAt is { } issuedAt && tokens.ExpiresAt > issuedAt)
        {
            var lifetime = tokens.ExpiresAt - issuedAt;
            window = Min(window, lifetime / 2);
            skew = Min(skew, lifetime / 4);
        }

        // Saturating: an expiry near DateTimeOffset.MinValue (a stored 0001-01-01) reads as
        // expired and is refreshed, instead of throwing on every request (invariant 12).
        var mustRefreshAt = SaturatingTime.Subtract(tokens.ExpiresAt, skew);
        var refreshAt = Min(SaturatingTime.Subtract(tokens.ExpiresAt, window), mustRefreshAt);
        return new TokenSnapshot(tokens, header, refreshAt, mustRefreshAt);
    }

    /// <summary>
    /// Whether these tokens may go into a header (invariant 10): an RFC 6750 b64token, and a Bearer
    /// type unless the app chose the scheme. Tokens from a store (tampered, or written by an older
    /// version) and from the app are held to the rules a server's answer is held to.
    /// </summary>
    public bool CanSend(TokenSet tokens) =>
        AccessTokenSyntax.IsValid(tokens.AccessToken) && (_schemeOverride is not null || AccessTokenSyntax.IsSupportedType(tokens.TokenType));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
