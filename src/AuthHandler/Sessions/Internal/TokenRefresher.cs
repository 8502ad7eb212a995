using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// One refresh, under the refresh lock: read the store, decide, redeem, write (invariant 5).
/// Returns an outcome for everything it expects — new tokens, tokens another process stored, a
/// sign-out, a failure that keeps the tokens — and throws only for cancellation.
/// </summary>
internal sealed class TokenRefresher
{
    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly IRefreshLock _refreshLock;
    private readonly TokenRedeemer _redeemer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public TokenRefresher(
        string name,
        string storeKey,
        ITokenStore store,
        IRefreshLock refreshLock,
        TokenRedeemer redeemer,
        TimeProvider time,
        ILogger logger)
    {
        _name = name;
        _storeKey = storeKey;
        _store = store;
        _refreshLock = refreshLock;
        _redeemer = redeemer;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Refreshes the tokens that replace <paramref name="replacing"/> (null: the first read of the
    /// store). A store or lock failure is an outcome too: transient, the tokens kept.
    /// </summary>
    public async Task<RefreshOutcome> RefreshAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        try
        {
            IRefreshLease lease;
            try
            {
                lease = await _refreshLock.AcquireAsync(_storeKey, cancellationToken).ConfigureAwait(false);
            }
            catch (TokenStoreException ex) when (_refreshLock is FileRefreshLock)
            {
                // The lock file cannot be created, so neither can a token file beside it. Any other
                // lock's failure (Redis down) says nothing about the store and stays a plain
                // transient failure: reading the store as well would only double the wait.
                return await RefreshLockedAsync(replacing, lease: null, ex, cancellationToken).ConfigureAwait(false);
            }

            await using (lease.ConfigureAwait(false))
            {
                return await RefreshLockedAsync(replacing, lease, lockFailure: null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TokenStoreException or TimeoutException)
        {
            // The store could not be read or the lock was held elsewhere for too long: not the
            // server's answer, and not a reason to sign out.
            Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, ex);
            return RefreshOutcome.Failed(ex);
        }
    }

    /// <summary>
    /// Reads, decides and (holding <paramref name="lease"/>) redeems. Without a lease — the file
    /// refresh lock cannot be had, an unwritable storage directory — the store can still say that
    /// there is nothing to refresh (signed out, rather than a transient error on every request) or
    /// that it holds a token that needs no refresh; redeeming without the lock could race another
    /// process (RFC 9700 §4.14), so anything else is the lock's failure.
    /// </summary>
    private async Task<RefreshOutcome> RefreshLockedAsync(TokenSnapshot? replacing, IRefreshLease? lease, TokenStoreException? lockFailure, CancellationToken cancellationToken)
    {
        // Invariant 5: read the refresh token inside the lock. Another session or process may
        // have refreshed since this caller read its token.
        TokenSet? stored;
        try
        {
            stored = await _store.GetAsync(_storeKey, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            // A corrupted entry: signed out, and the entry is left for a new sign-in to replace.
            return RefreshOutcome.SignedOut(SignInRequiredReason.TokenStoreUnreadable, storeFailure: ex);
        }

        if (stored is null)
        {
            return lease is null && replacing is not null
                ? Unlocked(lockFailure!, current: null)
                : RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens);
        }

        // A stored access token that cannot go into a header (tampered, or written by an older
        // version) is treated as expired: refreshed if it can be, never sent, never kept.
        var storedSnapshot = _redeemer.UsableSnapshot(stored);
        if (storedSnapshot is not null && stored.AccessToken != replacing?.Tokens.AccessToken && _time.GetUtcNow() < storedSnapshot.MustRefreshAt)
        {
            if (replacing is not null)
            {
                Log.AdoptedStoredTokens(_logger, _name);
            }

            return RefreshOutcome.Token(storedSnapshot);
        }

        if (lease is null)
        {
            return Unlocked(lockFailure!, storedSnapshot);
        }

        if (stored.RefreshToken is null)
        {
            // The API rejected this access token and nothing can replace it: the entry is dead.
            // Removing it keeps a signed-out session that looks at the store again from adopting
            // it, sending it, and signalling once more.
            await _redeemer.RemoveStoredAsync(lease, cancellationToken).ConfigureAwait(false);
            return RefreshOutcome.SignedOut(SignInRequiredReason.NoRefreshToken);
        }

        if (stored.RefreshTokenExpiresAt <= _time.GetUtcNow())
        {
            return RefreshOutcome.SignedOut(SignInRequiredReason.RefreshTokenExpired);
        }

        var outcome = await _redeemer.RedeemAsync(stored, lease, cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is TokenEndpointException failure)
        {
            Log.RefreshFailed(_logger, _name, failure.Failure, (int?)failure.StatusCode, failure.Error, failure);
            return RefreshOutcome.Failed(failure, storedSnapshot);
        }

        return outcome;
    }

    private RefreshOutcome Unlocked(TokenStoreException lockFailure, TokenSnapshot? current)
    {
        Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, lockFailure);
        return RefreshOutcome.Failed(lockFailure, current);
    }
}
