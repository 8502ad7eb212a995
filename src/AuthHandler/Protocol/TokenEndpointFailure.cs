namespace AuthHandler;

/// <summary>Why a call to the token endpoint did not produce tokens.</summary>
public enum TokenEndpointFailure
{
    /// <summary>Not known: the default value, never reported by the library. Treated as transient.</summary>
    Unknown,

    /// <summary>
    /// The server could not be reached, timed out, or answered with a server error or 429. The
    /// stored tokens are kept; a later request tries again.
    /// </summary>
    Transient,

    /// <summary>
    /// The answer was not a token response nor an OAuth error (an HTML page from a proxy, truncated
    /// or oversized JSON, a missing <c>access_token</c>). Treated like <see cref="Transient"/>: the
    /// stored tokens are kept.
    /// </summary>
    InvalidResponse,

    /// <summary>
    /// The server rejected the client rather than the user's grant (<c>invalid_client</c>,
    /// <c>unauthorized_client</c>, <c>unsupported_grant_type</c>, <c>invalid_request</c>,
    /// <c>invalid_scope</c>; RFC 6749 §5.2). Fix the client registration or options; the user
    /// stays signed in.
    /// </summary>
    ClientConfiguration,
}
