namespace AuthHandler.Storage.Internal;

/// <summary>The check every built-in store makes before it writes.</summary>
internal static class LeaseCheck
{
    /// <summary>
    /// A write must be made under the lock of the key it writes: the lock of another key
    /// coordinates nothing with the other holders of this one (RFC 9700 §4.14, a refresh token
    /// redeemed twice). The key is not quoted: it names the authority and client.
    /// </summary>
    public static void ThrowIfNotFor(IRefreshLease lease, string key)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(key);
        if (!string.Equals(lease.Key, key, StringComparison.Ordinal))
        {
            throw new ArgumentException("The lease is the refresh lock of another store key; a store write must be made under the lock of the key it writes.", nameof(lease));
        }
    }
}
