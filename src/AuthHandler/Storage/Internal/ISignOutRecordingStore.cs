namespace AuthHandler.Storage.Internal;

/// <summary>
/// A store whose <see cref="ITokenStore.RemoveAsync"/> leaves a sign-out record, so that a
/// missing entry can be told apart from a sign-out (<see cref="StoreEntry"/>). The stores of this
/// library implement it; <see cref="ITokenStore.GetAsync"/> reads a sign-out record as no tokens.
/// </summary>
internal interface ISignOutRecordingStore
{
    /// <summary>Reads what is stored under <paramref name="key"/>, telling a sign-out from nothing.</summary>
    ValueTask<StoreEntry> ReadEntryAsync(string key, CancellationToken cancellationToken);
}
