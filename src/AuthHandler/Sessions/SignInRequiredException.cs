namespace AuthHandler;

/// <summary>
/// The session needs the user to sign in again. Thrown by requests when
/// <see cref="DeviceAuthOptions.SignInRequiredBehavior"/> is
/// <see cref="SignInRequiredBehavior.ThrowException"/>.
/// </summary>
public sealed class SignInRequiredException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignInRequiredException()
        : base("A sign-in is required.")
    {
        ClientName = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public SignInRequiredException(string message)
        : base(message)
    {
        ClientName = string.Empty;
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public SignInRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
        ClientName = string.Empty;
    }

    /// <summary>Creates the exception for a session.</summary>
    /// <param name="clientName">The HTTP client name of the session.</param>
    /// <param name="reason">Why a sign-in is needed, when known.</param>
    public SignInRequiredException(string clientName, SignInRequiredReason? reason)
        : base($"The HTTP client '{clientName}' needs the user to sign in again ({Describe(reason)}).")
    {
        ClientName = clientName;
        Reason = reason;
    }

    /// <summary>Gets the HTTP client name of the session.</summary>
    public string ClientName { get; }

    /// <summary>Gets why a sign-in is needed, when known.</summary>
    public SignInRequiredReason? Reason { get; }

    private static string Describe(SignInRequiredReason? reason) => reason switch
    {
        SignInRequiredReason.NoTokens => "no tokens are stored",
        SignInRequiredReason.RefreshRejected => "the authorization server rejected the refresh token",
        SignInRequiredReason.RefreshTokenExpired => "the refresh token has expired",
        SignInRequiredReason.NoRefreshToken => "the access token was rejected and there is no refresh token",
        SignInRequiredReason.TokenStoreUnreadable => "the token store cannot be read",
        SignInRequiredReason.SignInFailed => "the sign-in did not complete",
        SignInRequiredReason.RefreshAnswerLost => "the authorization server rejected a refresh token whose earlier redemption was never answered (a lost response)",
        SignInRequiredReason.DPoPSettingChanged => "the stored tokens do not fit the DPoP setting (bound to a key while DPoP is off, or bearer tokens while it is on)",
        _ => "the session is signed out",
    };
}
