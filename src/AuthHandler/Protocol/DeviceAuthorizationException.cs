namespace AuthHandler;

/// <summary>A device sign-in (RFC 8628) did not complete. Stored tokens, if any, are untouched.</summary>
public sealed class DeviceAuthorizationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeviceAuthorizationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public DeviceAuthorizationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public DeviceAuthorizationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="failure">Why the sign-in did not complete.</param>
    /// <param name="message">What happened. Contains no code or token.</param>
    /// <param name="error">The OAuth error code, when the server sent one.</param>
    /// <param name="errorDescription">The server's description of the error, if any.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DeviceAuthorizationException(DeviceAuthorizationFailure failure, string message, string? error = null, string? errorDescription = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Error = error;
        ErrorDescription = errorDescription;
    }

    /// <summary>Gets why the sign-in did not complete.</summary>
    public DeviceAuthorizationFailure Failure { get; }

    /// <summary>Gets the OAuth error code the server sent, if any.</summary>
    public string? Error { get; }

    /// <summary>Gets the server's description of the error, if any.</summary>
    public string? ErrorDescription { get; }
}
