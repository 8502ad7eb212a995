using System.Security.Cryptography;
using System.Text.Json;
using AuthHandler.Coordination.Internal;
using AuthHandler.Diagnostics.Internal;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// Keeps each session's tokens in one Redis string, <c>{prefix}tokens:{hash}</c>: the token set
/// as JSON, protected with ASP.NET Core Data Protection, so Redis, its backups and anyone who can
/// read its memory never see a token. Every write is fenced: it takes the lease of the Redis
/// refresh lock of its key and lands only while that lease's fencing token is still the newest.
/// </summary>
/// <remarks>
/// Redis failures are transient <see cref="TokenStoreException"/>s (the session keeps its tokens);
/// an entry that cannot be unprotected or parsed is a permanent one (the session is signed out and
/// the entry left for a new sign-in to replace). A sign-out leaves a sign-out record, so a missing
/// key (Redis restarted without persistence, an eviction, a flush) is data loss, and a session
/// that holds tokens writes them back.
/// </remarks>
internal sealed class RedisTokenStore : ITokenStore, ISignOutRecordingStore
{
    private readonly RedisConnection _connection;
    private readonly IDataProtector _protector;
    private readonly string _clientName;
    private readonly string _keyPrefix;
    private readonly ILogger _logger;

    public RedisTokenStore(RedisConnection connection, IDataProtector protector, string clientName, string keyPrefix, ILogger logger)
    {
        _connection = connection;
        _protector = protector;
        _clientName = clientName;
        _keyPrefix = keyPrefix;
        _logger = logger;
    }

    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) =>
        (await ReadEntryAsync(key, cancellationToken).ConfigureAwait(false)).Tokens;

    public async ValueTask<StoreEntry> ReadEntryAsync(string key, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(_keyPrefix, key);
        RedisValue value;
        try
        {
            var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            value = await database.StringGetAsync(keys.Tokens).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.RedisUnavailable(_logger, _clientName, "token store", ex);
            throw RedisFailure.Unavailable("token store", _clientName, ex);
        }

        if (value.IsNull)
        {
            return default;
        }

        byte[] json;
        try
        {
            json = _protector.Unprotect((byte[])value!);
        }
        catch (CryptographicException ex)
        {
            // Typically instances that do not share one Data Protection key ring, or a purpose
            // that differs between them. The message names no key material and no token.
            throw new TokenStoreException(
                $"The tokens of client '{_clientName}' in Redis (key {keys.Tokens}) cannot be unprotected: {ex.Message}. Every instance must share one Data Protection key ring, application name and DataProtectionPurpose; sign in again to replace the entry.",
                isTransient: false,
                ex);
        }

        StoredTokens? stored;
        try
        {
            stored = JsonSerializer.Deserialize(json, StoredTokensJsonContext.Default.StoredTokens);
        }
        catch (JsonException ex)
        {
            // The message of a JsonException can quote the content: keep only its position.
            throw new TokenStoreException(
                $"The tokens of client '{_clientName}' in Redis (key {keys.Tokens}) are corrupted (invalid JSON at byte {ex.BytePositionInLine}, line {ex.LineNumber}); sign in again to replace the entry.",
                isTransient: false);
        }

        return stored?.ToEntry()
            ?? throw new TokenStoreException(
                $"The tokens of client '{_clientName}' in Redis (key {keys.Tokens}) have no access token or expiry; sign in again to replace the entry.",
                isTransient: false);
    }

    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return WriteAsync(key, StoredTokens.From(tokens), tokens.Redeeming, lease, "write", cancellationToken);
    }

    /// <summary>Leaves a sign-out record, so that a missing key is told apart from a sign-out.</summary>
    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) =>
        WriteAsync(key, StoredTokens.SignOut(), marker: null, lease, "delete", cancellationToken);

    private async ValueTask WriteAsync(string key, StoredTokens content, string? marker, IRefreshLease lease, string operation, CancellationToken cancellationToken)
    {
        var fence = FenceOf(lease, key);
        var keys = RedisKeys.For(_keyPrefix, key);
        var json = JsonSerializer.SerializeToUtf8Bytes(content, StoredTokensJsonContext.Default.StoredTokens);
        var value = _protector.Protect(json);
        try
        {
            var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            var written = (long)await database.ScriptEvaluateAsync(RedisScripts.SetIfFenced, [keys.Fence, keys.Tokens, keys.Redeeming], [fence, value, marker ?? string.Empty])
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
            if (written != 1)
            {
                throw Fenced(keys, fence, operation);
            }
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.RedisUnavailable(_logger, _clientName, "token store", ex);
            throw RedisFailure.Unavailable("token store", _clientName, ex);
        }
    }

    /// <summary>
    /// The fencing token every write carries. A lease without one comes from a lock that cannot
    /// fence (a file or in-process lock registered for this client in place of the Redis one): it
    /// does not exclude the other instances, so writing under it could overwrite a newer holder's
    /// tokens, and the write is refused rather than made unfenced. A released lease is refused
    /// too: its fence may still be the newest, but it no longer excludes anyone.
    /// </summary>
    private long FenceOf(IRefreshLease lease, string key)
    {
        LeaseCheck.ThrowIfNotFor(lease, key);
        if (lease.FencingToken is not { } fence)
        {
            throw new ArgumentException(
                $"The Redis token store of client '{_clientName}' writes only under a lease of its Redis refresh lock, which carries a fencing token; this lease has none ({lease.GetType().FullName}). Register no other IRefreshLock for this client than the one AddRedisTokenCoordination adds.",
                nameof(lease));
        }

        if (lease is RedisRefreshLease { IsReleased: true })
        {
            throw new ObjectDisposedException(nameof(IRefreshLease), $"The lease of the Redis refresh lock of client '{_clientName}' was released; a store write must be made while the lock is held.");
        }

        return fence;
    }

    private TokenStoreException Fenced(RedisKeys keys, long fence, string operation)
    {
        RedisLog.FencedWriteRejected(_logger, _clientName, keys.Id, fence);
        return new TokenStoreException(
            $"The {operation} of the tokens of client '{_clientName}' in Redis was discarded: the refresh lock's lease (fencing token {fence}) ran out and another session or instance took the lock, so these tokens could overwrite newer ones. The tokens in Redis are left as the newer holder wrote them.",
            isTransient: true)
        {
            Superseded = true,
        };
    }
}
