using System.Globalization;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// One refresh, under the refresh lock: read the store, decide, mark, redeem, write (invariants 5
/// and 13). Returns an outcome for everything it expects — new tokens, tokens another process
/// stored, a sign-out, a failure that keeps the tokens — and throws only for cancellation.
/// </summary>
internal sealed class TokenRefresher
{
    /// <summary>
    /// How long a holder whose lock can be lost while it lives waits for the write of an earlier
    /// holder that marked the tokens and lost its lease (paused, or cut off from the store),
    /// before it redeems the same refresh token itself.
    /// </summary>
    public static readonly TimeSpan EarlierHolderWait = TimeSpan.FromSeconds(2);

    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly IRefreshLock _refreshLock;
    private readonly StoreReader _reader;
    private readonly TokenRedeemer _redeemer;
    private readonly StoreWriter _writer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _movedLoggedTicks = long.MinValue;

    public TokenRefresher(SessionContext context, IRefreshLock refreshLock, StoreReader reader, TokenRedeemer redeemer, StoreWriter writer)
    {
        _name = context.Name;
        _storeKey = context.StoreKey;
        _store = context.Store;
        _refreshLock = refreshLock;
        _reader = reader;
        _redeemer = redeemer;
        _writer = writer;
        _time = context.Time;
        _logger = context.Logger;
    }

    /// <summary>
    /// Refreshes the tokens that replace <paramref name="replacing"/> (null: the first read of the
    /// store). A store or lock failure is an outcome too: transient, the tokens kept.
    /// </summary>
    public async Task<RefreshOutcome> RefreshAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        if (await _reader.AdoptWithoutLockAsync(replacing, cancellationToken).ConfigureAwait(false) is { } adopted)
        {
            return adopted;
        }

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
                return await RefreshUnlockedAsync(replacing, ex, cancellationToken).ConfigureAwait(false);
            }

            await using (lease.ConfigureAwait(false))
            {
                return await RefreshLockedAsync(replacing, lease, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TokenStoreException or TimeoutException)
        {
            // The store could not be read or written, or the lock was held elsewhere for too
            // long: not the server's answer, and not a reason to sign out.
            Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, ex);
            return RefreshOutcome.Failed(ex);
        }
    }

    /// <summary>
    /// Without the lock (the file refresh lock cannot be had: an unwritable storage directory)
    /// the store can still say that there is nothing to refresh (signed out, rather than a
    /// transient error on every request) or that it holds a token that needs no refresh;
    /// redeeming without the lock could race another process (RFC 9700 §4.14), so anything else
    /// is the lock's failure.
    /// </summary>
    private async Task<RefreshOutcome> RefreshUnlockedAsync(TokenSnapshot? replacing, TokenStoreException lockFailure, CancellationToken cancellationToken)
    {
        var (read, unreadable) = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var stored = read.Tokens;
        if (stored is null && replacing is null)
        {
            return NoTokens(read);
        }

        if (stored is not null && _reader.CheckDPoP(stored, quiet: false, out _) is { } unbound)
        {
            return unbound;
        }

        var storedSnapshot = stored is null ? null : _reader.UsableSnapshot(stored);
        if (_reader.Adoptable(stored, storedSnapshot, replacing) is { } adopted)
        {
            return adopted;
        }

        Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, lockFailure);
        return RefreshOutcome.Failed(lockFailure, storedSnapshot);
    }

    /// <summary>
    /// Signed out: nothing stored. A moved record (the tokens went into the operating system's
    /// credential store, which this process, on the plain file, cannot reach) is said once per move.
    /// </summary>
    private RefreshOutcome NoTokens(StoreEntry entry)
    {
        if (entry.MovedAt is { } movedAt && Interlocked.Exchange(ref _movedLoggedTicks, movedAt.UtcTicks) != movedAt.UtcTicks)
        {
            Log.TokensMovedToCredentialStore(_logger, _name, movedAt);
        }

        return RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens);
    }

    private async Task<RefreshOutcome> RefreshLockedAsync(TokenSnapshot? replacing, IRefreshLease lease, CancellationToken cancellationToken)
    {
        // Invariant 5: read the refresh token inside the lock. Another session or process may
        // have refreshed since this caller read its token.
        var (read, unreadable) = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var entry = await _writer.FlushAsync(read, lease, cancellationToken).ConfigureAwait(false);
        if (entry.IsLost && replacing?.Tokens is { RefreshToken: not null } held)
        {
            // Invariant 13: the store lost its data (no tokens and no sign-out recorded), and
            // this process holds a sign-in the server still honours. Write it back, rather than
            // sign out a user who never left.
            await _store.SetAsync(_storeKey, held.WithRedeeming(null), lease, cancellationToken).ConfigureAwait(false);
            Log.StoreEntryRestored(_logger, _name);
            entry = new StoreEntry(held, false);
        }

        for (var waited = false; ; waited = true)
        {
            var stored = entry.Tokens;
            if (stored is null)
            {
                return NoTokens(entry);
            }

            // RFC 9449 §5: tokens bound to a key this session cannot sign with (unreadable, or
            // DPoP off) are neither adopted nor refreshed; nothing reaches the token endpoint.
            if (_reader.CheckDPoP(stored, quiet: false, out var proof) is { } unbound)
            {
                return unbound;
            }

            // A stored access token that cannot go into a header (tampered, or written by an
            // older version) is treated as expired: refreshed if it can be, never sent, never kept.
            var storedSnapshot = _reader.UsableSnapshot(stored);
            if (_reader.Adoptable(stored, storedSnapshot, replacing) is { } adopted)
            {
                return adopted;
            }

            if (stored.RefreshToken is null)
            {
                // The API rejected this access token and nothing can replace it: the entry is
                // dead. Recording the sign-out keeps a signed-out session that looks at the store
                // again from adopting it, sending it, and signalling once more.
                await _redeemer.RemoveStoredAsync(lease, cancellationToken).ConfigureAwait(false);
                return RefreshOutcome.SignedOut(SignInRequiredReason.NoRefreshToken);
            }

            if (stored.RefreshTokenExpiresAt <= _time.GetUtcNow())
            {
                return RefreshOutcome.SignedOut(SignInRequiredReason.RefreshTokenExpired);
            }

            var earlierUnanswered = stored.Redeeming is not null;
            if (earlierUnanswered && !waited && lease.FencingToken is not null)
            {
                // An earlier holder marked these tokens and lost its lease before it stored the
                // answer. Alive, it may still write (its marker lets it); give it a moment.
                entry = await _reader.WaitForEarlierHolderAsync(entry, EarlierHolderWait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return await MarkAndRedeemAsync(stored, storedSnapshot, proof, earlierUnanswered, lease, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Marks the stored tokens as being redeemed, then redeems them. A store that cannot take
    /// the marker will not take the answer either: nothing is redeemed, and the tokens are kept.
    /// </summary>
    private async Task<RefreshOutcome> MarkAndRedeemAsync(TokenSet stored, TokenSnapshot? storedSnapshot, DPoPProofWriter? proof, bool earlierUnanswered, IRefreshLease lease, CancellationToken cancellationToken)
    {
        var marker = lease.FencingToken is { } fence ? fence.ToString(CultureInfo.InvariantCulture) : Guid.NewGuid().ToString("N");
        try
        {
            await _store.SetAsync(_storeKey, stored.WithRedeeming(marker), lease, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException ex)
        {
            Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, ex);
            return RefreshOutcome.Failed(ex, storedSnapshot);
        }

        var outcome = await _redeemer.RedeemAsync(stored, proof, marker, earlierUnanswered, lease, cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is TokenEndpointException failure)
        {
            Log.RefreshFailed(_logger, _name, failure.Failure, (int?)failure.StatusCode, failure.Error, failure);
            return RefreshOutcome.Failed(failure, storedSnapshot);
        }

        return outcome;
    }
}
