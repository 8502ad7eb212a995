namespace AuthHandler;

/// <summary>
/// Where sessions keep their tokens. One store serves many sessions; each session uses its own key
/// (derived from the authority, client id and scopes).
/// </summary>
/// <remarks>
/// Implementations must be safe for concurrent use. A store that cannot read what it holds (a
/// corrupted file, an unreachable server) throws <see cref="TokenStoreException"/>; it never
/// reports such an entry as missing, because a session treats a missing entry as signed out.
/// <para>
/// Every write is made under the refresh lock of its key and takes that lock's
/// <see cref="IRefreshLease"/>; reads need no lock. A store may ignore the lease, or check that
/// <see cref="IRefreshLease.Key"/> is the key written. A store whose lock can run out while held
/// (it gives an <see cref="IRefreshLease.FencingToken"/>) should write only while that token is
/// still the newest, in one atomic step, so a holder that lost the lock cannot overwrite what
/// the next holder wrote.
/// </para>
/// </remarks>
public interface ITokenStore
{
    /// <summary>Reads the tokens stored under <paramref name="key"/>.</summary>
    /// <param name="key">The session's store key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored tokens, or <see langword="null"/> when there are none.</returns>
    ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="tokens"/> under <paramref name="key"/>, replacing what was there.</summary>
    /// <param name="key">The session's store key.</param>
    /// <param name="tokens">The tokens to keep.</param>
    /// <param name="lease">The refresh lock held on <paramref name="key"/>, under which the write is made.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the tokens are stored.</returns>
    ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken);

    /// <summary>Deletes the tokens stored under <paramref name="key"/>, if any.</summary>
    /// <param name="key">The session's store key.</param>
    /// <param name="lease">The refresh lock held on <paramref name="key"/>, under which the delete is made.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when the tokens are gone.</returns>
    ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken);
}
