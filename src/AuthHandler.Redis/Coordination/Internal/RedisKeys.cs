using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The Redis keys of one session store key. The store key (authority, client id, scopes) is
/// hashed, so key names reveal none of it; the hash in braces is the Redis Cluster hash tag, so
/// the three keys share a slot and one script may touch several of them.
/// </summary>
internal readonly record struct RedisKeys(string Id, RedisKey Tokens, RedisKey Lock, RedisKey Fence)
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
            prefix + "fence:{" + id + "}");
    }
}
