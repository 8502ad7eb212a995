namespace AuthHandler;

/// <summary>Whether a session can authorize requests.</summary>
public enum SessionState
{
    /// <summary>
    /// The token store has not been read yet; the first request reads it (or
    /// <see cref="IDeviceAuthSession.GetAccountAsync"/>, when it finds tokens).
    /// </summary>
    Unknown,

    /// <summary>The session holds tokens.</summary>
    SignedIn,

    /// <summary>
    /// The user must sign in again: no usable tokens were stored, the refresh token was rejected
    /// or expired, or the app signed out. Requests fail fast until a new sign-in.
    /// </summary>
    SignInRequired,
}
