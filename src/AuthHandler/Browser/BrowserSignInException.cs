namespace AuthHandler;

/// <summary>A browser sign-in (authorization code with PKCE, RFC 8252) did not complete. Nothing was stored; stored tokens, if any, are untouched.</summary>
public sealed class BrowserSignInException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BrowserSignInException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public BrowserSignInException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public BrowserSignInException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="failure">Why the sign-in did not complete.</param>
    /// <param name="message">What happened. Contains no code, verifier, state, nonce or token.</param>
    /// <param name="error">The OAuth error code, when the server sent one.</param>
    /// <param name="errorDescription">The server's description of the error, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BrowserSignInException(BrowserSignInFailure failure, string message, string? error = null, string? errorDescription = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Error = error;
        ErrorDescription = errorDescription;
    }

    /// <summary>Gets why the sign-in did not complete.</summary>
    public BrowserSignInFailure Failure { get; }

    /// <summary>Gets the OAuth error code the server sent, if any (printable ASCII, bounded).</summary>
    public string? Error { get; }

    /// <summary>Gets the server's description of the error, if any (without control or format characters, bounded).</summary>
    public string? ErrorDescription { get; }
}
