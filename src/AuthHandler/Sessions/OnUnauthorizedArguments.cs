namespace AuthHandler;

/// <summary>
/// The unauthorized signal: the session signed out and the user must sign in again. Raised once
/// per transition to signed out, however many requests were waiting.
/// </summary>
public readonly struct OnUnauthorizedArguments
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="clientName">The HTTP client name of the session.</param>
    /// <param name="reason">Why a sign-in is needed.</param>
    /// <param name="error">The OAuth error code from the token endpoint, if any.</param>
    public OnUnauthorizedArguments(string clientName, UnauthorizedReason reason, string? error)
    {
        ClientName = clientName;
        Reason = reason;
        Error = error;
    }

    /// <summary>Gets the HTTP client name of the session.</summary>
    public string ClientName { get; }

    /// <summary>Gets why a sign-in is needed.</summary>
    public UnauthorizedReason Reason { get; }

    /// <summary>Gets the OAuth error code from the token endpoint (e.g. <c>invalid_grant</c>), if any.</summary>
    public string? Error { get; }
}
