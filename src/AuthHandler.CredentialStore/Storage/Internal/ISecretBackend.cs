namespace AuthHandler.Storage.Internal;

/// <summary>
/// One platform's credential store: one opaque secret (the serialized token record) per
/// <see cref="SecretName"/>. Every call is bounded in time and never waits for a person (an
/// unlock prompt): a store that would need one is reported as unavailable.
/// </summary>
internal interface ISecretBackend
{
    /// <summary>Gets the kind of store.</summary>
    TokenStorageKind Kind { get; }

    /// <summary>Gets a sentence naming the store, for the log and <see cref="TokenStorageLocation"/>.</summary>
    string Description { get; }

    /// <summary>Checks that the store can be read and written now, without a prompt.</summary>
    /// <exception cref="CredentialStoreUnavailableException">It cannot: absent, locked, no default collection.</exception>
    /// <exception cref="TokenStoreException">It failed otherwise (transient).</exception>
    ValueTask ProbeAsync(CancellationToken cancellationToken);

    /// <summary>The secret, or null when there is none.</summary>
    ValueTask<byte[]?> ReadAsync(SecretName name, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the secret in one step of the store.</summary>
    ValueTask WriteAsync(SecretName name, byte[] secret, CancellationToken cancellationToken);

    /// <summary>Deletes the secret; nothing when there is none.</summary>
    ValueTask DeleteAsync(SecretName name, CancellationToken cancellationToken);
}
