using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// What the refresh reads from the store and what it makes of it: the entry (or the sign-out an
/// unreadable one means), whether stored tokens can be sent, whether they should be used instead
/// of a refresh, and the wait for an earlier holder's late write.
/// </summary>
internal sealed class StoreReader
{
    private static readonly TimeSpan EarlierHolderPoll = TimeSpan.FromMilliseconds(250);

    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly RefreshSchedule _schedule;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DPoPContext? _dpop;

    public StoreReader(SessionContext context, RefreshSchedule schedule)
    {
        _dpop = context.DPoP;
        _name = context.Name;
        _storeKey = context.StoreKey;
        _store = context.Store;
        _schedule = schedule;
        _time = context.Time;
        _logger = context.Logger;
    }

    /// <summary>
    /// The snapshot of tokens read from a store, or null when their access token must not reach a
    /// header (logged unless <paramref name="quiet"/>: a look before the lock, which the locked read repeats).
    /// </summary>
    public TokenSnapshot? UsableSnapshot(TokenSet tokens, bool quiet = false)
    {
        if (_schedule.CanSend(tokens) && CheckDPoP(tokens, quiet: true, out _) is null)
        {
            return _schedule.CreateSnapshot(tokens);
        }

        if (!quiet)
        {
            Log.StoredTokenUnusable(_logger, _name);
        }

        return null;
    }

    /// <summary>
    /// Whether the stored tokens fit the session's DPoP setting (RFC 9449 §5), and the proof
    /// writer of their key: null when they do (the writer null when DPoP is off), else the
    /// sign-in required outcome, logged unless <paramref name="quiet"/>. Tokens bound to a key that
    /// cannot be read, or bound while DPoP is off, are never sent (not even as Bearer tokens), and
    /// their refresh token is not presented: the entry is left for a new sign-in to replace, as an
    /// unreadable one is. The key is imported once per stored key (<see cref="DPoPContext.TryGetWriter"/>).
    /// </summary>
    public RefreshOutcome? CheckDPoP(TokenSet tokens, bool quiet, out DPoPProofWriter? writer)
    {
        writer = null;
        if (_dpop is not { Enabled: true })
        {
            if (!AccessTokenSyntax.IsDPoPType(tokens.TokenType) && tokens.DPoPKey is null)
            {
                return null;
            }

            if (!quiet)
            {
                Log.DPoPTokensWhileDisabled(_logger, _name, Text.PrintableAscii(tokens.TokenType, 32), tokens.DPoPKey is not null);
            }

            return Unusable(SignInRequiredReason.DPoPSettingChanged, "The stored tokens are DPoP-bound (RFC 9449) but DPoP.Enabled is off; sign in again, or turn DPoP.Enabled on.");
        }

        // Bearer tokens with DPoP on are never sent, whether or not a key is stored beside them
        // (an app's SetTokensAsync or an edited entry): a key does not bind a bearer token.
        if (tokens.DPoPKey is null || !AccessTokenSyntax.IsDPoPType(tokens.TokenType))
        {
            if (!quiet)
            {
                Log.DPoPTokensWithoutKey(_logger, _name, Text.PrintableAscii(tokens.TokenType, 32));
            }

            return Unusable(SignInRequiredReason.DPoPSettingChanged, "The stored tokens are not DPoP-bound (a bearer token type or no DPoP key) but DPoP.Enabled is on; sign in again.");
        }

        if (_dpop.TryGetWriter(tokens.DPoPKey, out writer, out var error))
        {
            return null;
        }

        if (!quiet)
        {
            Log.DPoPKeyUnusable(_logger, _name, error);
        }

        // The reason names what is wrong and carries nothing of the key (DPoPKeyImportError).
        return Unusable(SignInRequiredReason.TokenStoreUnreadable, $"The stored DPoP key cannot be used ({error}); the tokens bound to it cannot be sent or refreshed; sign in again.");
    }

    private static RefreshOutcome Unusable(SignInRequiredReason reason, string message) =>
        RefreshOutcome.SignedOut(reason, storeFailure: new TokenStoreException(message, isTransient: false));

    /// <summary>
    /// Reads need no lock: tokens another holder has already stored are taken without waiting for
    /// the lock, which a holder that died keeps until its lease runs out. Any failure here is
    /// left to the locked path, which reports it.
    /// </summary>
    public async Task<RefreshOutcome?> AdoptWithoutLockAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        TokenSet? stored;
        try
        {
            stored = await _store.GetAsync(_storeKey, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException)
        {
            return null;
        }

        return stored is null || stored.AccessToken == replacing?.Tokens.AccessToken || UsableSnapshot(stored, quiet: true) is not { } snapshot
            ? null
            : Adoptable(stored, snapshot, replacing);
    }

    /// <summary>Stored tokens this caller should use rather than refresh: newer than its own and not due.</summary>
    public RefreshOutcome? Adoptable(TokenSet? stored, TokenSnapshot? storedSnapshot, TokenSnapshot? replacing)
    {
        if (storedSnapshot is null || stored!.AccessToken == replacing?.Tokens.AccessToken || _time.GetUtcNow() >= storedSnapshot.MustRefreshAt)
        {
            return null;
        }

        if (replacing is not null)
        {
            Log.AdoptedStoredTokens(_logger, _name);
        }

        return RefreshOutcome.Token(storedSnapshot);
    }

    /// <summary>Polls the store until the earlier holder's write replaces its marked tokens, or <paramref name="wait"/> ends.</summary>
    public async Task<StoreEntry> WaitForEarlierHolderAsync(StoreEntry marked, TimeSpan wait, CancellationToken cancellationToken)
    {
        Log.WaitingForEarlierRedemption(_logger, _name, (long)wait.TotalMilliseconds);
        for (var waited = TimeSpan.Zero; waited < wait; waited += EarlierHolderPoll)
        {
            await Task.Delay(EarlierHolderPoll, _time, cancellationToken).ConfigureAwait(false);
            var now = await StoreEntry.ReadAsync(_store, _storeKey, cancellationToken).ConfigureAwait(false);
            if (now.Tokens?.RefreshToken != marked.Tokens!.RefreshToken || now.Tokens?.Redeeming != marked.Tokens.Redeeming)
            {
                return now;
            }
        }

        return marked;
    }

    /// <summary>Reads the entry, or the sign-out outcome when it is unreadable (corrupted).</summary>
    public async Task<(StoreEntry Entry, RefreshOutcome? Unreadable)> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await StoreEntry.ReadAsync(_store, _storeKey, cancellationToken).ConfigureAwait(false), null);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            // A corrupted entry: signed out, and the entry is left for a new sign-in to replace.
            return (default, RefreshOutcome.SignedOut(SignInRequiredReason.TokenStoreUnreadable, storeFailure: ex));
        }
    }
}
