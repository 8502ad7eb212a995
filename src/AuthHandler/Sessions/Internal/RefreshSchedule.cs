using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using AuthHandler.Storage.Internal;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// When a token set must be refreshed (invariant 4), worked out once per token: a pure function
/// of the tokens and the options, so it is tested with no clock and no HTTP.
/// </summary>
internal sealed class RefreshSchedule
{
    /// <summary>The token type of DPoP-bound tokens (RFC 9449 §5) and the scheme they are sent with (§7.1).</summary>
    public const string DPoPScheme = "DPoP";

    private readonly TimeSpan _refreshWindow;
    private readonly TimeSpan _expirySkew;
    private readonly string? _schemeOverride;
    private readonly DPoPContext? _dpop;

    /// <param name="refreshWindow">The refresh window of the options.</param>
    /// <param name="expirySkew">The expiry skew of the options.</param>
    /// <param name="schemeOverride">The scheme the app chose for bearer tokens (never for DPoP-bound ones).</param>
    /// <param name="dpop">The session's DPoP state when DPoP is enabled (<see cref="DPoPOptions.Enabled"/>); null when it is off.
    /// Its key cache is the one the refreshes sign with, so a key is imported once for both.</param>
    public RefreshSchedule(TimeSpan refreshWindow, TimeSpan expirySkew, string? schemeOverride, DPoPContext? dpop = null)
    {
        _refreshWindow = refreshWindow;
        _expirySkew = expirySkew;
        _schemeOverride = schemeOverride;
        _dpop = dpop is { Enabled: true } ? dpop : null;
    }

    /// <summary>Whether the session uses DPoP (RFC 9449).</summary>
    public bool DPoPEnabled => _dpop is not null;

    /// <summary>
    /// The header value and the two instants. The window is the smaller of the option and half the
    /// lifetime, and the skew is capped at a quarter of the lifetime, so a short-lived token is not
    /// always "expired". A token set without a refresh token is used until the API rejects it.
    /// </summary>
    /// <remarks>
    /// A DPoP-bound token set (token type <c>DPoP</c>, RFC 9449 §5, with DPoP enabled) gets the
    /// <c>DPoP</c> scheme whatever scheme the app chose for bearer tokens (§7.1: never sent as
    /// <c>Bearer</c>), and its key is imported here, once per token, with the proof writer and
    /// the <c>ath</c> (<see cref="DPoPTokenBinding"/>). A key that does not import makes a
    /// snapshot that <see cref="TokenSnapshot.CanSend"/> nothing.
    /// </remarks>
    public TokenSnapshot CreateSnapshot(TokenSet tokens)
    {
        DPoPTokenBinding? dpop = null;
        string header;
        if (_dpop is not null && IsDPoPBound(tokens))
        {
            dpop = DPoPTokenBinding.Create(tokens, _dpop);
            header = DPoPScheme + " " + tokens.AccessToken;
        }
        else
        {
            header = (_schemeOverride ?? tokens.TokenType) + " " + tokens.AccessToken;
        }

        if (tokens.RefreshToken is null)
        {
            return new TokenSnapshot(tokens, header, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, dpop);
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
        return new TokenSnapshot(tokens, header, refreshAt, mustRefreshAt, dpop);
    }

    /// <summary>
    /// Whether these tokens may go into a header (invariant 10): an RFC 6750 b64token, and a Bearer
    /// type unless the app chose the scheme. Tokens from a store (tampered, or written by an older
    /// version) and from the app are held to the rules a server's answer is held to.
    /// </summary>
    /// <remarks>
    /// A <c>DPoP</c> token type needs DPoP enabled and a stored key (whether the key imports is
    /// settled once, by <see cref="CreateSnapshot"/>); with DPoP off it is never sent, not even
    /// under the app's own scheme, which would downgrade it to a bearer token (RFC 9449 §7.1).
    /// </remarks>
    public bool CanSend(TokenSet tokens) =>
        AccessTokenSyntax.IsValid(tokens.AccessToken)
        && (IsDPoPBound(tokens)
            ? _dpop is not null && tokens.DPoPKey is not null
            : _schemeOverride is not null || AccessTokenSyntax.IsSupportedType(tokens.TokenType));

    /// <summary>RFC 9449 §5: a token issued with <c>token_type</c> <c>DPoP</c> (case-insensitive, RFC 6749 §5.1) is bound to the key.</summary>
    public static bool IsDPoPBound(TokenSet tokens) =>
        string.Equals(tokens.TokenType, DPoPScheme, StringComparison.OrdinalIgnoreCase);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
