namespace AuthHandler;

/// <summary>
/// What to show the user during a device sign-in (RFC 8628 §3.3): open the verification URL and
/// enter the user code, or open the complete URL, which already carries the code.
/// </summary>
public readonly struct OnDeviceCodeArguments
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="clientName">The HTTP client name of the session signing in.</param>
    /// <param name="userCode">The code the user enters.</param>
    /// <param name="verificationUri">The page where the user enters the code.</param>
    /// <param name="verificationUriComplete">The page with the code already filled in, when the server gives one.</param>
    /// <param name="expiresAt">When the code expires.</param>
    public OnDeviceCodeArguments(string clientName, string userCode, Uri verificationUri, Uri? verificationUriComplete, DateTimeOffset expiresAt)
    {
        ClientName = clientName;
        UserCode = userCode;
        VerificationUri = verificationUri;
        VerificationUriComplete = verificationUriComplete;
        ExpiresAt = expiresAt;
    }

    /// <summary>Gets the HTTP client name of the session signing in.</summary>
    public string ClientName { get; }

    /// <summary>Gets the code the user enters, e.g. <c>ABCD-EFGH</c>.</summary>
    public string UserCode { get; }

    /// <summary>Gets the page where the user enters the code.</summary>
    public Uri VerificationUri { get; }

    /// <summary>Gets the page with the code already filled in, when the server gives one; prefer it (e.g. for a QR code).</summary>
    public Uri? VerificationUriComplete { get; }

    /// <summary>Gets when the code expires; the sign-in fails after this.</summary>
    public DateTimeOffset ExpiresAt { get; }
}
