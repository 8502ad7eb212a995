namespace AuthHandler;

/// <summary>
/// The sign-in-required signal: the session signed itself out and the user must sign in again.
/// Raised once per transition, however many requests were waiting; the same arguments go to the
/// <see cref="DeviceAuthSession.SignInRequired"/> event and the
/// <see cref="DeviceAuthOptions.OnSignInRequired"/> callback.
/// </summary>
public sealed class SignInRequiredEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="clientName">The HTTP client name of the session.</param>
    /// <param name="reason">Why a sign-in is needed.</param>
    /// <param name="error">The OAuth error code from the token endpoint, if any.</param>
    public SignInRequiredEventArgs(string clientName, SignInRequiredReason reason, string? error)
    {
        ClientName = clientName;
        Reason = reason;
        Error = error;
    }

    /// <summary>Gets the HTTP client name of the session.</summary>
    public string ClientName { get; }

    /// <summary>Gets why a sign-in is needed.</summary>
    public SignInRequiredReason Reason { get; }

    /// <summary>Gets the OAuth error code from the token endpoint (e.g. <c>invalid_grant</c>), if any.</summary>
    public string? Error { get; }
}
