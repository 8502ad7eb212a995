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
/// read its memory never see a token. A write made while this process holds the refresh lock of
/// the key is fenced: it lands only while that lock's fencing token is still current.
/// </summary>
/// <remarks>
/// Redis failures are transient <see cref="TokenStoreException"/>s (the session keeps its tokens);
/// an entry that cannot be unprotected or parsed is a permanent one (the session is signed out and
/// the entry left for a new sign-in to replace).
/// </remarks>
internal sealed class RedisTokenStore : ITokenStore
{
    private readonly RedisConnection _connection;
    private readonly HeldLocks _held;
    private readonly IDataProtector _protector;
    private readonly string _clientName;
    private readonly string _keyPrefix;
    private readonly ILogger _logger;

    public RedisTokenStore(RedisConnection connection, HeldLocks held, IDataProtector protector, string clientName, string keyPrefix, ILogger logger)
    {
        _connection = connection;
        _held = held;
        _protector = protector;
        _clientName = clientName;
        _keyPrefix = keyPrefix;
        _logger = logger;
    }

    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
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
            return null;
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

        return stored?.ToTokenSet()
            ?? throw new TokenStoreException(
                $"The tokens of client '{_clientName}' in Redis (key {keys.Tokens}) have no access token or expiry; sign in again to replace the entry.",
                isTransient: false);
    }

    public async ValueTask SetAsync(string key, TokenSet tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var keys = RedisKeys.For(_keyPrefix, key);
        var json = JsonSerializer.SerializeToUtf8Bytes(StoredTokens.From(tokens), StoredTokensJsonContext.Default.StoredTokens);
        var value = _protector.Protect(json);
        try
        {
            var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            if (_held.TryGetFence(key, out var fence))
            {
                var written = (long)await database.ScriptEvaluateAsync(RedisScripts.SetIfFenced, [keys.Fence, keys.Tokens], [fence, value])
                    .WaitAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (written != 1)
                {
                    throw Fenced(keys, fence, "write");
                }
            }
            else
            {
                // No lock of this process covers the key (the application wrote directly):
                // a plain write, as with any store.
                await database.StringSetAsync(keys.Tokens, value).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.RedisUnavailable(_logger, _clientName, "token store", ex);
            throw RedisFailure.Unavailable("token store", _clientName, ex);
        }
    }

    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(_keyPrefix, key);
        try
        {
            var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            if (_held.TryGetFence(key, out var fence))
            {
                var removed = (long)await database.ScriptEvaluateAsync(RedisScripts.DeleteIfFenced, [keys.Fence, keys.Tokens], [fence])
                    .WaitAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (removed != 1)
                {
                    throw Fenced(keys, fence, "delete");
                }
            }
            else
            {
                await database.KeyDeleteAsync(keys.Tokens).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            RedisLog.RedisUnavailable(_logger, _clientName, "token store", ex);
            throw RedisFailure.Unavailable("token store", _clientName, ex);
        }
    }

    private TokenStoreException Fenced(RedisKeys keys, long fence, string operation)
    {
        RedisLog.FencedWriteRejected(_logger, _clientName, keys.Id, fence);
        return new TokenStoreException(
            $"The {operation} of the tokens of client '{_clientName}' in Redis was discarded: the refresh lock's lease (fencing token {fence}) ran out and another session or instance took the lock, so these tokens could overwrite newer ones. The tokens in Redis are left as the newer holder wrote them.",
            isTransient: true);
    }
}
