using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthHandler.Storage.Internal;

namespace AuthHandler;

/// <summary>
/// Keeps each session's tokens in a JSON file of its own in one directory, private to the user:
/// the directory is created with mode 0700 and every file with 0600 on Unix (given at creation,
/// never applied afterwards). Writes are atomic: a temporary file in the same directory is
/// written, flushed to disk and renamed over the old one, so a crash leaves the old tokens intact.
/// </summary>
/// <remarks>
/// A file that cannot be read or parsed is reported with <see cref="TokenStoreException"/> and left
/// untouched; the session treats it as signed out until a new sign-in replaces it.
/// <see cref="RemoveAsync"/> leaves a sign-out record in the file (read as no tokens), so that a
/// file that disappears while processes run is told apart from a sign-out: a session that holds
/// tokens writes them back. A moved record (the tokens went into the operating system's
/// credential store, AuthHandler.CredentialStore) is read the same way as a sign-out record, and
/// logged as such: this store cannot reach the credential store.
/// </remarks>
public sealed class FileTokenStore : ITokenStore, ISignOutRecordingStore
{
    private const string Prefix = "tokens-";
    private const string Extension = ".json";

    /// <summary>Creates a store in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory of the token files; created on the first write.</param>
    public FileTokenStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>Gets the directory of the token files.</summary>
    public string Directory { get; }

    /// <summary>The path of the file that holds the tokens stored under <paramref name="key"/>: a hash of the key, so keys never leak into file names.</summary>
    internal string PathFor(string key) => Path.Combine(Directory, FileNameFor(key, Extension));

    /// <summary>The file name for a key: a hash, so that no URL or client id appears in file names.</summary>
    internal static string FileNameFor(string key, string extension)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return Prefix + Convert.ToHexStringLower(hash.AsSpan(0, 16)) + extension;
    }

    /// <inheritdoc />
    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) =>
        (await ReadEntryAsync(key, cancellationToken).ConfigureAwait(false)).Tokens;

    /// <inheritdoc />
    async ValueTask<StoreEntry> ISignOutRecordingStore.ReadEntryAsync(string key, CancellationToken cancellationToken) =>
        await ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);

    private async ValueTask<StoreEntry> ReadEntryAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        var entry = $"The token file {path}";
        return await AtomicFile.ReadAsync(path, entry, cancellationToken).ConfigureAwait(false) is { } bytes
            ? StoredTokens.Read(bytes, entry)
            : default;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        LeaseCheck.ThrowIfNotFor(lease, key);
        return WriteAsync(PathFor(key), StoredTokens.From(tokens), cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    /// <remarks>The file then holds a sign-out record, which <see cref="GetAsync"/> reads as no tokens.</remarks>
    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        LeaseCheck.ThrowIfNotFor(lease, key);
        return WriteAsync(PathFor(key), StoredTokens.SignOut(), cancellationToken);
    }

    /// <summary>Writes <paramref name="record"/> (a moved record, from AuthHandler.CredentialStore) atomically to the file of <paramref name="key"/>.</summary>
    internal ValueTask WriteRecordAsync(string key, StoredTokens record, CancellationToken cancellationToken) =>
        WriteAsync(PathFor(key), record, cancellationToken);

    /// <summary>
    /// Writes atomically: a temporary file in the same directory, flushed to disk, renamed over
    /// the old one, so a crash leaves the old content intact.
    /// </summary>
    private ValueTask WriteAsync(string path, StoredTokens content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(
            Directory,
            path,
            (stream, cancellation) => new ValueTask(JsonSerializer.SerializeAsync(stream, content, StoredTokensJsonContext.Default.StoredTokens, cancellation)),
            cancellationToken);
}
