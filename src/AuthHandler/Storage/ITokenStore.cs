namespace AuthHandler;

/// <summary>
/// Where sessions keep their tokens. One store serves many sessions; each session uses its own key
/// (derived from the authority, client id and scopes).
/// </summary>
/// <remarks>
/// Implementations must be safe for concurrent use. A store that cannot read what it holds (a
/// corrupted file, an unreachable server) throws <see cref="TokenStoreException"/>; it never
/// reports such an entry as missing, because a session treats a missing entry as signed out.
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
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the tokens are stored.</returns>
    ValueTask SetAsync(string key, TokenSet tokens, CancellationToken cancellationToken);

    /// <summary>Deletes the tokens stored under <paramref name="key"/>, if any.</summary>
    /// <param name="key">The session's store key.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when the tokens are gone.</returns>
    ValueTask RemoveAsync(string key, CancellationToken cancellationToken);
}
