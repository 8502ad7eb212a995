using AuthHandler.Storage.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// A <see cref="MemoryTokenStore"/> (so sign-out records and lost data behave as in the library's
/// stores) that records every write it is asked for — what, and whether the lease it came with was
/// still held — and fails the writes or reads a test tells it to.
/// </summary>
internal sealed class RecordingTokenStore : ITokenStore, ISignOutRecordingStore
{
    private readonly List<Write> _writes = [];

    public MemoryTokenStore Inner { get; } = new();

    /// <summary>Decides whether a write fails: the tokens written (null for a remove) and the 1-based number of the write.</summary>
    public Func<TokenSet?, int, Exception?> FailWrite { get; set; } = (_, _) => null;

    /// <summary>The exception every read throws while set.</summary>
    public Exception? FailReads { get; set; }

    /// <summary>Every write asked for, failed ones too, in order.</summary>
    public IReadOnlyList<Write> Writes
    {
        get
        {
            lock (_writes)
            {
                return [.. _writes];
            }
        }
    }

    /// <summary>The entry as it is now (tokens with their marker, or a sign-out record, or nothing).</summary>
    public StoreEntry Entry(string key) => ((ISignOutRecordingStore)Inner).ReadEntryAsync(key, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) =>
        FailReads is { } failure ? ValueTask.FromException<TokenSet?>(failure) : Inner.GetAsync(key, cancellationToken);

    ValueTask<StoreEntry> ISignOutRecordingStore.ReadEntryAsync(string key, CancellationToken cancellationToken) =>
        FailReads is { } failure ? ValueTask.FromException<StoreEntry>(failure) : ((ISignOutRecordingStore)Inner).ReadEntryAsync(key, cancellationToken);

    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken) =>
        Record(tokens, lease) is { } failure ? ValueTask.FromException(failure) : Inner.SetAsync(key, tokens, lease, cancellationToken);

    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) =>
        Record(null, lease) is { } failure ? ValueTask.FromException(failure) : Inner.RemoveAsync(key, lease, cancellationToken);

    private Exception? Record(TokenSet? tokens, IRefreshLease lease)
    {
        int number;
        lock (_writes)
        {
            _writes.Add(new Write(tokens, lease is FakeRefreshLock.Lease { Released: false }));
            number = _writes.Count;
        }

        return FailWrite(tokens, number);
    }

    /// <summary>One write: the tokens (null: a remove) and whether it was made while its lease was held.</summary>
    internal sealed record Write(TokenSet? Tokens, bool LeaseHeld);
}
