namespace AuthHandler;

/// <summary>
/// A token store could not read or write its entry. The stored tokens are left as they were.
/// </summary>
public sealed class TokenStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TokenStoreException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed. Must not contain a token.</param>
    public TokenStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed. Must not contain a token.</param>
    /// <param name="innerException">The cause.</param>
    public TokenStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
