namespace AuthHandler.Storage.Internal;

/// <summary>
/// The credential store cannot be used at all right now (no session bus, no Secret Service, a
/// locked keyring that only a prompt could open). The platform store falls back to the file on
/// it; the explicit store turns it into a <see cref="TokenStoreException"/> that says what to do.
/// </summary>
internal sealed class CredentialStoreUnavailableException : Exception
{
    public CredentialStoreUnavailableException()
    {
    }

    /// <param name="message">Why, in a phrase that follows "the credential store cannot be used:". Must not contain a secret.</param>
    public CredentialStoreUnavailableException(string message)
        : base(message)
    {
    }

    public CredentialStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
