using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The Redis keys of one session store key. The store key (authority, client id, scopes) is
/// hashed, so key names reveal none of it; the hash in braces is the Redis Cluster hash tag, so
/// the keys share a slot and one script may touch several of them.
/// </summary>
/// <param name="Id">The hash of the store key, for logs.</param>
/// <param name="Tokens">The protected token set, or a sign-out record.</param>
/// <param name="Lock">The lease owner's random id.</param>
/// <param name="Fence">The fencing counter.</param>
/// <param name="Redeeming">The fencing token of the holder redeeming the stored refresh token, while its answer is not stored.</param>
internal readonly record struct RedisKeys(string Id, RedisKey Tokens, RedisKey Lock, RedisKey Fence, RedisKey Redeeming)
{
    public static RedisKeys For(string prefix, string storeKey)
    {
        ArgumentNullException.ThrowIfNull(storeKey);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(storeKey));
        var id = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return new RedisKeys(
            id,
            prefix + "tokens:{" + id + "}",
            prefix + "lock:{" + id + "}",
            prefix + "fence:{" + id + "}",
            prefix + "redeeming:{" + id + "}");
    }
}
