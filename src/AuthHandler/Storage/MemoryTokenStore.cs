using System.Collections.Concurrent;
using AuthHandler.Storage.Internal;

namespace AuthHandler;

/// <summary>
/// A token store that keeps tokens in memory for the life of the process. Suited to tests and to
/// services that sign in at start-up; tokens are lost when the process exits.
/// </summary>
/// <remarks>
/// <see cref="RemoveAsync"/> records the sign-out (read as no tokens by <see cref="GetAsync"/>),
/// like the other stores of this library; <see cref="Clear"/> forgets everything, as a store
/// that lost its data would.
/// </remarks>
public sealed class MemoryTokenStore : ITokenStore, ISignOutRecordingStore
{
    private readonly ConcurrentDictionary<string, StoreEntry> _entries = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ValueTask.FromResult(_entries.TryGetValue(key, out var entry) ? entry.Tokens : null);
    }

    /// <inheritdoc />
    ValueTask<StoreEntry> ISignOutRecordingStore.ReadEntryAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ValueTask.FromResult(_entries.TryGetValue(key, out var entry) ? entry : default);
    }

    /// <summary>Forgets every entry and sign-out record, as a store that lost its data would.</summary>
    public void Clear() => _entries.Clear();

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(tokens);
        LeaseCheck.ThrowIfNotFor(lease, key);
        _entries[key] = new StoreEntry(tokens, false);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        LeaseCheck.ThrowIfNotFor(lease, key);
        _entries[key] = StoreEntry.SignOutRecord;
        return ValueTask.CompletedTask;
    }
}
