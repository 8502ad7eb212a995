namespace AuthHandler.Storage.Internal;

/// <summary>
/// What a store holds under a key: tokens, a sign-out record, or nothing. Nothing, where a
/// sign-out leaves a record, means the store lost its data (a Redis restart without persistence,
/// a deleted file): a session that holds tokens then writes them back instead of signing out.
/// </summary>
/// <param name="Tokens">The stored tokens, if any.</param>
/// <param name="SignedOut">Whether the entry records a sign-out (or, from a store that keeps no such records, holds nothing).</param>
/// <param name="MovedAt">
/// In a moved record (a sign-out record too), when the tokens were moved into the operating
/// system's credential store; null otherwise.
/// </param>
internal readonly record struct StoreEntry(TokenSet? Tokens, bool SignedOut, DateTimeOffset? MovedAt = null)
{
    public static StoreEntry SignOutRecord => new(null, true);

    /// <summary>Whether the tokens were moved to the credential store: no tokens here, and no data lost.</summary>
    public bool IsMoved => MovedAt is not null;

    /// <summary>A moved record: read as no tokens, like a sign-out record.</summary>
    public static StoreEntry MovedRecord(DateTimeOffset movedAt) => new(null, true, movedAt);

    /// <summary>Nothing stored and no sign-out recorded: the data was lost.</summary>
    public bool IsLost => Tokens is null && !SignedOut;

    /// <summary>
    /// Reads the entry. A store of this library records sign-outs; another store's missing
    /// entry is taken for a sign-out, as it cannot be told apart from one.
    /// </summary>
    public static async ValueTask<StoreEntry> ReadAsync(ITokenStore store, string key, CancellationToken cancellationToken)
    {
        if (store is ISignOutRecordingStore recording)
        {
            return await recording.ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);
        }

        var tokens = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return new StoreEntry(tokens, tokens is null);
    }
}
