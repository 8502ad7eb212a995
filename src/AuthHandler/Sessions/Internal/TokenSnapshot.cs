using AuthHandler.Protocol.DPoP.Internal;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// What a request needs, computed once per token: the header value and the two instants that
/// decide whether the token can be used as it is. Immutable; the session swaps the reference.
/// </summary>
internal sealed class TokenSnapshot
{
    public TokenSnapshot(TokenSet tokens, string headerValue, DateTimeOffset refreshAt, DateTimeOffset mustRefreshAt, DPoPTokenBinding? dpop = null)
    {
        Tokens = tokens;
        HeaderValue = headerValue;
        RefreshAt = refreshAt;
        MustRefreshAt = mustRefreshAt;
        DPoP = dpop;
    }

    private volatile bool _stale;
    private AccessToken? _accessToken;

    public TokenSet Tokens { get; }

    /// <summary>
    /// Whether <see cref="RefreshAt"/> is still ahead: true until <see cref="FreshnessTimer"/>
    /// marks the snapshot stale, so the hot path needs no clock read (invariant 2).
    /// </summary>
    public bool IsFresh => !_stale;

    /// <summary>The whole header value, e.g. <c>Bearer abc</c>, or <c>DPoP abc</c> for a DPoP-bound token.</summary>
    public string HeaderValue { get; }

    /// <summary>
    /// The key, proof writer and <c>ath</c> of a DPoP-bound token (RFC 9449 §7), made once with
    /// the snapshot; null for a bearer token, so a bearer request does no DPoP work at all.
    /// </summary>
    public DPoPTokenBinding? DPoP { get; }

    /// <summary>
    /// Whether the token may be sent: false only for a DPoP-bound token whose key did not import,
    /// which goes out neither with a broken proof nor as a bearer token (the request gets what a
    /// missing token gets).
    /// </summary>
    public bool CanSend => DPoP is not { CanProve: false };

    /// <summary>
    /// The token for callers outside the handler, made once per snapshot (a race makes two equal
    /// ones, harmless: the session compares the snapshot they point to). The header value is the
    /// scheme, a space and the token (<see cref="RefreshSchedule.CreateSnapshot"/>).
    /// </summary>
    public AccessToken AccessToken => _accessToken ??= new AccessToken(this, HeaderValue[..^(Tokens.AccessToken.Length + 1)]);

    /// <summary>From here on, one background refresh starts while requests keep using this token.</summary>
    public DateTimeOffset RefreshAt { get; }

    /// <summary>From here on (expiry minus skew), requests wait for a new token.</summary>
    public DateTimeOffset MustRefreshAt { get; }

    /// <summary>From now on, requests read the clock to decide between refresh-ahead and waiting.</summary>
    public void MarkStale() => _stale = true;

    public override string ToString() => $"TokenSnapshot {{ RefreshAt = {RefreshAt:O}, MustRefreshAt = {MustRefreshAt:O}, DPoPBound = {DPoP is not null} }}";
}
