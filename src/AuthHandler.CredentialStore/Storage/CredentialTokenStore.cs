using System.Text.Json;
using AuthHandler.Coordination.Internal;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthHandler;

/// <summary>
/// Keeps each session's token record in the operating system's credential store: the Secret
/// Service (GNOME Keyring, KWallet) over D-Bus on Linux, the default Keychain on macOS, a
/// DPAPI-protected file on Windows. The record is the one <see cref="FileTokenStore"/> writes
/// (tokens, the redemption marker); the refresh lock stays a <see cref="FileRefreshLock"/> in
/// <see cref="Directory"/> (<see cref="CreateRefreshLock"/>): the credential store is not a lock.
/// </summary>
/// <remarks>
/// <para>
/// With <c>fallBackToFile</c> the store checks once, at its first use, whether the credential
/// store can be used without a prompt, and otherwise keeps the tokens in owner-only files in
/// <see cref="Directory"/>, as <see cref="FileTokenStore"/> does; one log line says which and why.
/// Without it, a credential store that cannot be used (no D-Bus session bus, no Secret Service, a
/// locked keyring, an unsupported OS) makes every read and write fail with a transient
/// <see cref="TokenStoreException"/> that says what to do. Nothing here waits for an unlock
/// prompt, every call to the credential store is bounded in time, and creating the store touches
/// nothing.
/// </para>
/// <para>
/// A token file of the same key in <see cref="Directory"/> (from <see cref="FileTokenStore"/>, a
/// fallback, or an older version of the application) that holds tokens is newer than the
/// credential store's item: it is read first, and moved into the credential store when the
/// refresh lock is next taken. The file then keeps a moved record (no secret): a process on the
/// plain file (a fallback without a session bus, an older version) reads it as no tokens, not as
/// lost data, so it does not write back tokens the credential store's holder may since have
/// rotated (RFC 9700 §4.14); this store reads past it to the item. A crash between the copy and
/// the moved record leaves both with the same tokens; the next move repeats it. A sign-out deletes
/// the item and leaves a sign-out record (no secret) in the file, so that a missing item still
/// means lost data, not a sign-out.
/// </para>
/// </remarks>
public sealed class CredentialTokenStore : ITokenStore, ISignOutRecordingStore
{
    private readonly FileTokenStore _files;
    private readonly Func<ISecretBackend?> _createBackend;
    private readonly ILogger _logger;
    private readonly Lazy<Task<Choice>> _choice;
    private ISecretBackend? _explicitBackend;
    private int _logged;

    /// <summary>Creates a store whose lock and fallback files are in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory of the refresh lock files, and of the token files when the store falls back to them.</param>
    /// <param name="fallBackToFile">Whether to keep the tokens in owner-only files when the credential store cannot be used, rather than fail.</param>
    /// <param name="logger">Where the line that says which store is used goes.</param>
    public CredentialTokenStore(string directory, bool fallBackToFile = false, ILogger? logger = null)
        : this(directory, fallBackToFile, logger, null)
    {
    }

    internal CredentialTokenStore(string directory, bool fallBackToFile, ILogger? logger, Func<ISecretBackend?>? createBackend)
    {
        _files = new FileTokenStore(directory);
        FallsBackToFile = fallBackToFile;
        _logger = logger ?? NullLogger.Instance;
        _createBackend = createBackend ?? PlatformBackend;
        _choice = new Lazy<Task<Choice>>(ChooseAsync);
    }

    /// <summary>Gets the directory of the refresh lock files and of the fallback token files.</summary>
    public string Directory => _files.Directory;

    /// <summary>Gets a value indicating whether the store keeps the tokens in files when the credential store cannot be used.</summary>
    public bool FallsBackToFile { get; }

    /// <summary>The client name in the log line; the registration sets it.</summary>
    internal string ClientName { get; init; } = string.Empty;

    /// <summary>
    /// Says where the tokens are kept. The first call may check the credential store (bounded in
    /// time, never a prompt); with <see cref="FallsBackToFile"/> the answer is then fixed for the
    /// life of the store.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the check.</param>
    /// <returns>The kind of store, a description, and why the file is used when it is a fallback.</returns>
    public async ValueTask<TokenStorageLocation> GetLocationAsync(CancellationToken cancellationToken = default)
    {
        if (FallsBackToFile)
        {
            return (await ChoiceAsync(cancellationToken).ConfigureAwait(false)).Location;
        }

        var backend = ExplicitBackend();
        return backend is null
            ? new TokenStorageLocation(TokenStorageKind.File, "nowhere: this operating system has no credential store AuthHandler supports", null)
            : new TokenStorageLocation(backend.Kind, backend.Description, null);
    }

    /// <summary>
    /// Creates the refresh lock that goes with this store: a <see cref="FileRefreshLock"/> in
    /// <see cref="Directory"/> that, once taken, moves a token file of the key into the
    /// credential store. The registrations pair them; use it when you register the store yourself.
    /// </summary>
    /// <param name="timeout">How long to wait for another process; 60 seconds when not given.</param>
    /// <returns>The lock.</returns>
    public IRefreshLock CreateRefreshLock(TimeSpan? timeout = null) => new MigratingRefreshLock(new FileRefreshLock(Directory, timeout), this);

    /// <inheritdoc />
    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) =>
        (await ReadEntryAsync(key, cancellationToken).ConfigureAwait(false)).Tokens;

    /// <inheritdoc />
    async ValueTask<StoreEntry> ISignOutRecordingStore.ReadEntryAsync(string key, CancellationToken cancellationToken) =>
        await ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    public async ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        LeaseCheck.ThrowIfNotFor(lease, key);
        if (await BackendAsync(cancellationToken).ConfigureAwait(false) is not { } backend)
        {
            await _files.SetAsync(key, tokens, lease, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteAsync(backend, key, StoredTokens.From(tokens), cancellationToken).ConfigureAwait(false);

        // What is written now is the newest record: a file left beside it (a sign-out record, or
        // one written by a process that took a plain FileRefreshLock) would be read first. It
        // becomes a moved record rather than going away: a process on the plain file would take
        // a missing file for lost data and write back the tokens it holds.
        if (File.Exists(_files.PathFor(key)) && !await HoldsMovedRecordAsync(key, cancellationToken).ConfigureAwait(false))
        {
            await WriteMovedRecordAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="lease"/> is not the lock on <paramref name="key"/>.</exception>
    /// <remarks>The credential store's item is deleted, and the file holds a sign-out record (no secret).</remarks>
    public async ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        LeaseCheck.ThrowIfNotFor(lease, key);
        if (await BackendAsync(cancellationToken).ConfigureAwait(false) is { } backend)
        {
            await DeleteItemAsync(backend, key, cancellationToken).ConfigureAwait(false);
        }

        // Written after the delete: a crash between leaves no item and no file, which reads as
        // lost data; the holder writes its tokens back, and signs out again.
        await _files.RemoveAsync(key, lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Under the refresh lock of <paramref name="key"/>: moves a token file of the key into the
    /// credential store. Tokens are written to the item, then the file is replaced by a moved
    /// record; a moved record is left as it is (the item is newer); a sign-out record deletes the
    /// item and stays in the file. A corrupted file is left for the session to report.
    /// </summary>
    internal async ValueTask MigrateAsync(string key, CancellationToken cancellationToken)
    {
        if (!File.Exists(_files.PathFor(key)) || await BackendAsync(cancellationToken).ConfigureAwait(false) is not { } backend)
        {
            return;
        }

        StoreEntry entry;
        try
        {
            entry = await ((ISignOutRecordingStore)_files).ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            // The session reads the same file next and signs out with TokenStoreUnreadable; a new
            // sign-in replaces it. Moving it would only hide it.
            return;
        }

        if (entry.IsMoved)
        {
            return;
        }

        if (entry.Tokens is { } tokens)
        {
            // Copy, then replace: a crash between leaves the same tokens in both, and the next
            // holder copies them again.
            await WriteAsync(backend, key, StoredTokens.From(tokens), cancellationToken).ConfigureAwait(false);
            await WriteMovedRecordAsync(key, cancellationToken).ConfigureAwait(false);
            CredentialStoreLog.ImportedTokenFile(_logger, ClientName, _files.PathFor(key), backend.Description);
        }
        else if (entry.SignedOut)
        {
            await DeleteItemAsync(backend, key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<StoreEntry> ReadEntryAsync(string key, CancellationToken cancellationToken)
    {
        if (await BackendAsync(cancellationToken).ConfigureAwait(false) is not { } backend)
        {
            return await ((ISignOutRecordingStore)_files).ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);
        }

        if (File.Exists(_files.PathFor(key)))
        {
            // A file beside the credential store that holds tokens or a sign-out was written after
            // the last move (which leaves a moved record), so it is the newest record: a fallback,
            // an older version, or a sign-out. A moved record, or a file gone by the time it is
            // read (moved meanwhile), sends the read to the item.
            var fromFile = await ((ISignOutRecordingStore)_files).ReadEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (!fromFile.IsLost && !fromFile.IsMoved)
            {
                return fromFile;
            }
        }

        var bytes = await Call(backend, static (backend, state, cancellation) => backend.ReadAsync(state, cancellation), NameOf(key), cancellationToken).ConfigureAwait(false);
        return bytes is null ? default : StoredTokens.Read(bytes, $"The token item in {backend.Description}");
    }

    private async ValueTask WriteAsync(ISecretBackend backend, string key, StoredTokens record, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(record, StoredTokensJsonContext.Default.StoredTokens);
        await Call(
            backend,
            static async (backend, state, cancellation) =>
            {
                await backend.WriteAsync(state.Name, state.Bytes, cancellation).ConfigureAwait(false);
                return true;
            },
            (Name: NameOf(key), Bytes: bytes),
            cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask DeleteItemAsync(ISecretBackend backend, string key, CancellationToken cancellationToken) =>
        await Call(
            backend,
            static async (backend, name, cancellation) =>
            {
                await backend.DeleteAsync(name, cancellation).ConfigureAwait(false);
                return true;
            },
            NameOf(key),
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Replaces the token file with a moved record. A failure is a transient
    /// <see cref="TokenStoreException"/> (the session tries again): the file, read before the
    /// credential store and older than it, must not stay as it is.
    /// </summary>
    private ValueTask WriteMovedRecordAsync(string key, CancellationToken cancellationToken) =>
        _files.WriteRecordAsync(key, StoredTokens.Moved(StoredTokens.MovedToCredentialStore, DateTimeOffset.UtcNow), cancellationToken);

    /// <summary>Whether the token file holds a moved record already (a corrupted file does not: it is replaced).</summary>
    private async ValueTask<bool> HoldsMovedRecordAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return (await ((ISignOutRecordingStore)_files).ReadEntryAsync(key, cancellationToken).ConfigureAwait(false)).IsMoved;
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            return false;
        }
    }

    private SecretName NameOf(string key) => new(Directory, FileTokenStore.FileNameFor(key, string.Empty)["tokens-".Length..]);

    /// <summary>The credential store to use, or null for the files (a fallback).</summary>
    private async ValueTask<ISecretBackend?> BackendAsync(CancellationToken cancellationToken)
    {
        if (FallsBackToFile)
        {
            return (await ChoiceAsync(cancellationToken).ConfigureAwait(false)).Backend;
        }

        return ExplicitBackend() ?? throw Unusable("this operating system has no credential store that AuthHandler supports (Linux Secret Service, macOS Keychain, Windows DPAPI)", null);
    }

    private ISecretBackend? ExplicitBackend() => _explicitBackend ??= _createBackend();

    /// <summary>One call to the credential store; an unusable store becomes an actionable, transient <see cref="TokenStoreException"/>.</summary>
    private async ValueTask<T> Call<TState, T>(ISecretBackend backend, Func<ISecretBackend, TState, CancellationToken, ValueTask<T>> call, TState state, CancellationToken cancellationToken)
    {
        try
        {
            var result = await call(backend, state, cancellationToken).ConfigureAwait(false);
            if (!FallsBackToFile && Interlocked.Exchange(ref _logged, 1) == 0)
            {
                CredentialStoreLog.UsingCredentialStore(_logger, ClientName, backend.Description);
            }

            return result;
        }
        catch (CredentialStoreUnavailableException ex)
        {
            throw Unusable(ex.Message, ex);
        }
    }

    private static TokenStoreException Unusable(string reason, Exception? inner) => new(
        $"The operating system's credential store cannot be used: {reason}. The tokens are kept as they are. Make it available, or register the client " +
        "with UsePlatformTokenStore() to fall back to an owner-only file, or with UseFileTokenStore(...).",
        isTransient: true,
        inner);

    private Task<Choice> ChoiceAsync(CancellationToken cancellationToken) => _choice.Value.WaitAsync(cancellationToken);

    /// <summary>
    /// Decided once, for the life of the store: a process does not switch stores midway. The check
    /// runs on no caller's cancellation token (it is bounded by the backend's timeout), so a caller
    /// that gives up does not decide for the others.
    /// </summary>
    private async Task<Choice> ChooseAsync()
    {
        var files = new TokenStorageLocation(TokenStorageKind.File, $"owner-only files in {Directory}", null);
        string reason;
        try
        {
            if (_createBackend() is { } backend)
            {
                await backend.ProbeAsync(CancellationToken.None).ConfigureAwait(false);
                var location = new TokenStorageLocation(backend.Kind, backend.Description, null);
                CredentialStoreLog.UsingCredentialStore(_logger, ClientName, location.Description);
                return new Choice(backend, location);
            }

            reason = "this operating system has no credential store that AuthHandler supports";
        }
        catch (CredentialStoreUnavailableException ex)
        {
            reason = ex.Message;
        }
        catch (TokenStoreException ex)
        {
            reason = ex.Message;
        }

        CredentialStoreLog.FellBackToFile(_logger, ClientName, files.Description, reason);
        return new Choice(null, new TokenStorageLocation(TokenStorageKind.File, files.Description, reason));
    }

    private static ISecretBackend? PlatformBackend()
    {
        if (OperatingSystem.IsWindows())
        {
            return new DpapiFileBackend();
        }

        if (OperatingSystem.IsMacOS())
        {
            return new KeychainBackend();
        }

        return OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD() ? new SecretServiceBackend() : null;
    }

    private sealed record Choice(ISecretBackend? Backend, TokenStorageLocation Location);
}
