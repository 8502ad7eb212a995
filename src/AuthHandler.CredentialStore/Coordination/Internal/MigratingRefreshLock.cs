namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The refresh lock of a <see cref="CredentialTokenStore"/>: its <see cref="FileRefreshLock"/>,
/// which once taken moves a token file of the key into the credential store before the holder
/// reads anything. The move happens under the lock, so no other holder (a process of this
/// application in fallback mode, an older version on the plain file store) writes the file
/// meanwhile; and while anyone holds the lease, no token file of the key exists that is older
/// than the credential store's item.
/// </summary>
internal sealed class MigratingRefreshLock(FileRefreshLock files, CredentialTokenStore store) : IRefreshLock
{
    /// <summary>Gets the file lock (tests check the pairing).</summary>
    public FileRefreshLock Files => files;

    /// <inheritdoc />
    /// <exception cref="TokenStoreException">The token file could not be moved (transient): the lock is released, nothing was redeemed.</exception>
    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var lease = await files.AcquireAsync(key, cancellationToken).ConfigureAwait(false);
        try
        {
            await store.MigrateAsync(key, cancellationToken).ConfigureAwait(false);
            return lease;
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
