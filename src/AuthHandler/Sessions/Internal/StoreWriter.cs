using AuthHandler.Diagnostics.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// Stores the tokens a refresh received (invariant 13). The store then holds a refresh token the
/// server may already have rotated away, so the write is retried, holding the refresh lock, for a
/// bounded time; tokens that still could not be stored are written under the next lock this
/// session gets, if nobody has redeemed since.
/// </summary>
internal sealed class StoreWriter
{
    /// <summary>How long a refresh keeps the lock while its write fails.</summary>
    public static readonly TimeSpan RetryBound = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Unwritten? _unwritten;

    public StoreWriter(SessionContext context)
    {
        _name = context.Name;
        _storeKey = context.StoreKey;
        _store = context.Store;
        _time = context.Time;
        _logger = context.Logger;
    }

    /// <summary>
    /// Writes the tokens redeemed under <paramref name="marker"/>, retrying with back-off for up
    /// to <see cref="RetryBound"/> (not at all once another holder has the lock:
    /// <see cref="TokenStoreException.Superseded"/>). False when they are not stored: they are
    /// then kept for this session's next lock.
    /// </summary>
    public async Task<bool> StoreRedeemedAsync(TokenSet tokens, string marker, IRefreshLease lease, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.SetAsync(_storeKey, tokens, lease, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _unwritten, null);
                return true;
            }
            catch (TokenStoreException ex) when (ex.Superseded)
            {
                // Another holder has the lock now; retrying cannot succeed. If it finds nothing
                // newer than what this holder redeemed, the next lock of this session writes them.
                Log.StoreWriteSuperseded(_logger, _name);
                Volatile.Write(ref _unwritten, new Unwritten(marker, tokens));
                return false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (_time.GetElapsedTime(started) + delay > RetryBound)
                {
                    Log.StoreWriteAbandoned(_logger, _name, (long)RetryBound.TotalSeconds, ex);
                    Volatile.Write(ref _unwritten, new Unwritten(marker, tokens));
                    return false;
                }

                Log.StoreWriteRetrying(_logger, _name, attempt, (long)delay.TotalMilliseconds, ex);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
    }

    /// <summary>
    /// Under the lock: writes tokens an earlier refresh of this session could not store, if the
    /// entry is still the one it redeemed (its marker) or the store lost it. Returns the entry as
    /// it now is. A failed write throws and keeps them for the next try.
    /// </summary>
    public async ValueTask<StoreEntry> FlushAsync(StoreEntry entry, IRefreshLease lease, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _unwritten) is not { } pending)
        {
            return entry;
        }

        if (entry.Tokens?.Redeeming != pending.Marker && !entry.IsLost)
        {
            // Someone has redeemed or signed in since: what the store holds is newer.
            Volatile.Write(ref _unwritten, null);
            return entry;
        }

        await _store.SetAsync(_storeKey, pending.Tokens, lease, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _unwritten, null);
        Log.StoredUnwrittenTokens(_logger, _name);
        return new StoreEntry(pending.Tokens, false);
    }

    private sealed record Unwritten(string Marker, TokenSet Tokens);
}
