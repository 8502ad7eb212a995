using System.Collections.Concurrent;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// An in-memory <see cref="ITokenStore"/> whose entries a test can read without knowing the
/// session's store key: what the session stored is what <see cref="Entries"/> holds.
/// </summary>
internal sealed class RecordingTokenStore : ITokenStore
{
    private readonly ConcurrentDictionary<string, TokenSet> _entries = new(StringComparer.Ordinal);
    private int _writes;

    /// <summary>The token sets held now, whatever their keys.</summary>
    public IReadOnlyList<TokenSet> Entries => [.. _entries.Values];

    /// <summary>How many times the session wrote (set or removed) an entry.</summary>
    public int Writes => Volatile.Read(ref _writes);

    public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_entries.TryGetValue(key, out var tokens) ? tokens : null);

    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        _entries[key] = tokens;
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        _entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }
}
