namespace AuthHandler;

/// <summary>
/// The lock a session holds across the whole refresh: read the store, call the token endpoint,
/// write the store. Holding it across all three is what keeps two holders of one refresh token
/// from redeeming it twice (RFC 9700 §4.14: a rotated refresh token used twice can revoke the grant).
/// </summary>
/// <remarks>
/// Within one process a session already runs a single refresh at a time; this lock extends that
/// to sessions of the same key in other processes or on other machines.
/// </remarks>
public interface IRefreshLock
{
    /// <summary>Waits for the lock on <paramref name="key"/>.</summary>
    /// <param name="key">The session's store key.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock, which the store's writes take; disposing it releases the lock.</returns>
    ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken);
}
