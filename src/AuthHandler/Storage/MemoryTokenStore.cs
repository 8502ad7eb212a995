using System.Collections.Concurrent;
using AuthHandler.Storage.Internal;

namespace AuthHandler;

/// <summary>
/// A token store that keeps tokens in memory for the life of the process. Suited to tests and to
/// services that sign in at start-up; tokens are lost when the process exits.
/// </summary>
public sealed class MemoryTokenStore : ITokenStore
{
    private readonly ConcurrentDictionary<string, TokenSet> _entries = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ValueTask.FromResult(_entries.TryGetValue(key, out var tokens) ? tokens : null);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(tokens);
        LeaseCheck.ThrowIfNotFor(lease, key);
        _entries[key] = tokens;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        LeaseCheck.ThrowIfNotFor(lease, key);
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }
}
