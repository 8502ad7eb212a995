namespace AuthHandler;

/// <summary>
/// The authorization server's metadata (RFC 8414 or OpenID Connect Discovery) could not be
/// fetched or does not fit the configured authority.
/// </summary>
public sealed class DiscoveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DiscoveryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public DiscoveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public DiscoveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="isTransient">Whether trying again later can succeed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public DiscoveryException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>
    /// Gets a value indicating whether trying again later can succeed (the server could not be
    /// reached or answered with an error), as opposed to a document that names another issuer or
    /// lacks a required endpoint.
    /// </summary>
    public bool IsTransient { get; }
}
