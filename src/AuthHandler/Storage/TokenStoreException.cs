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

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed. Must not contain a token.</param>
    /// <param name="isTransient">Whether the store may work again later without a new sign-in.</param>
    /// <param name="innerException">The cause, if any.</param>
    public TokenStoreException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>
    /// Gets a value indicating whether the store may work again later (an unreachable server):
    /// the session keeps its tokens and reports a transient failure. When false (a corrupted or
    /// unreadable file), the session is signed out until a new sign-in replaces the entry.
    /// </summary>
    public bool IsTransient { get; }

    /// <summary>
    /// Whether a write was refused because another holder has taken the refresh lock since (its
    /// fence is newer): retrying it cannot succeed, and the store holds that holder's tokens.
    /// </summary>
    internal bool Superseded { get; init; }
}
