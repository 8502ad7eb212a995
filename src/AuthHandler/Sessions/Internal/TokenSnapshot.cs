namespace AuthHandler.Sessions.Internal;

/// <summary>
/// What a request needs, computed once per token: the header value and the two instants that
/// decide whether the token can be used as it is. Immutable; the session swaps the reference.
/// </summary>
internal sealed class TokenSnapshot
{
    public TokenSnapshot(TokenSet tokens, string headerValue, DateTimeOffset refreshAt, DateTimeOffset mustRefreshAt)
    {
        Tokens = tokens;
        HeaderValue = headerValue;
        RefreshAt = refreshAt;
        MustRefreshAt = mustRefreshAt;
    }

    public TokenSet Tokens { get; }

    /// <summary>The whole header value, e.g. <c>Bearer abc</c>.</summary>
    public string HeaderValue { get; }

    /// <summary>From here on, one background refresh starts while requests keep using this token.</summary>
    public DateTimeOffset RefreshAt { get; }

    /// <summary>From here on (expiry minus skew), requests wait for a new token.</summary>
    public DateTimeOffset MustRefreshAt { get; }

    public override string ToString() => $"TokenSnapshot {{ RefreshAt = {RefreshAt:O}, MustRefreshAt = {MustRefreshAt:O} }}";
}
