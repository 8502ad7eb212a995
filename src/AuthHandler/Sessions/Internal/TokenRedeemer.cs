using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// The redeeming half of a refresh, under the lock <see cref="TokenRefresher"/> holds, after it
/// has marked the stored tokens as being redeemed: call the token endpoint with the stored refresh
/// token — once more, quickly, when the answer was lost — and write what the answer means to the
/// store (new tokens, a rotated refresh token in an unusable answer, a rejection).
/// </summary>
internal sealed class TokenRedeemer
{
    /// <summary>
    /// How long to wait before presenting a refresh token again whose answer was lost: short, so
    /// that the second presentation falls inside the reuse grace that rotating servers give for
    /// exactly this (RFC 9700 §4.14; Okta, Auth0, Cognito, Ory allow seconds to a minute).
    /// </summary>
    public static readonly TimeSpan LostAnswerRetryDelay = TimeSpan.FromSeconds(1);

    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly Func<CancellationToken, ValueTask<Uri>> _tokenEndpoint;
    private readonly Func<Uri, string, DPoPProofWriter?, CancellationToken, Task<TokenResult>> _refresh;
    private readonly RefreshSchedule _schedule;
    private readonly StoreReader _reader;
    private readonly StoreWriter _writer;
    private readonly TimeSpan _defaultLifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="context">The session's name, store key, store, clock and log.</param>
    /// <param name="tokenEndpoint">The token endpoint (<see cref="AuthorizationServer.GetTokenEndpointAsync"/>):
    /// throws <see cref="DiscoveryException"/> when it cannot be found.</param>
    /// <param name="refresh">The RFC 6749 §6 call (<see cref="TokenEndpointClient.RefreshAsync"/>): the
    /// classified answer, never an exception but for cancellation. Its proof writer signs the
    /// DPoP proofs (RFC 9449 §5) with the key of the stored tokens; null: no proof.</param>
    /// <param name="schedule">Turns the new tokens into a snapshot.</param>
    /// <param name="reader">Tells whether newer stored tokens can be sent.</param>
    /// <param name="writer">Writes the new tokens, retrying.</param>
    /// <param name="defaultLifetime">The access token's lifetime when the answer has no <c>expires_in</c>.</param>
    /// <remarks>The server calls come in as delegates, as for <see cref="SignInFlow"/>: what this type
    /// decides (what each answer means for the store and the session) does not depend on how they reach the wire.</remarks>
    public TokenRedeemer(
        SessionContext context,
        Func<CancellationToken, ValueTask<Uri>> tokenEndpoint,
        Func<Uri, string, DPoPProofWriter?, CancellationToken, Task<TokenResult>> refresh,
        RefreshSchedule schedule,
        StoreReader reader,
        StoreWriter writer,
        TimeSpan defaultLifetime)
    {
        _name = context.Name;
        _storeKey = context.StoreKey;
        _store = context.Store;
        _tokenEndpoint = tokenEndpoint;
        _refresh = refresh;
        _schedule = schedule;
        _reader = reader;
        _writer = writer;
        _defaultLifetime = defaultLifetime;
        _time = context.Time;
        _logger = context.Logger;
    }

    /// <summary>
    /// Redeems the stored refresh token; the caller holds the refresh lock and has stored
    /// <paramref name="marker"/> with the tokens. <paramref name="earlierUnanswered"/>: the tokens
    /// carried another holder's marker, so this refresh token may be spent already.
    /// <paramref name="proof"/>: the writer of the stored tokens' DPoP key, or null without DPoP.
    /// </summary>
    public async Task<RefreshOutcome> RedeemAsync(TokenSet stored, DPoPProofWriter? proof, string marker, bool earlierUnanswered, IRefreshLease lease, CancellationToken cancellationToken)
    {
        Uri tokenEndpoint;
        try
        {
            tokenEndpoint = await _tokenEndpoint(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            await UnmarkAsync(stored, earlierUnanswered, lease, cancellationToken).ConfigureAwait(false);
            return RefreshOutcome.Failed(new TokenEndpointException(
                ex.IsTransient ? TokenEndpointFailure.Transient : TokenEndpointFailure.ClientConfiguration,
                ex.Message,
                innerException: ex));
        }

        Log.RefreshStarted(_logger, _name);
        var result = await _refresh(tokenEndpoint, stored.RefreshToken!, proof, cancellationToken).ConfigureAwait(false);
        var presentedAgain = false;
        if (result is { Kind: TokenResultKind.Transient, AnswerLost: true, IssuedRefreshToken: null })
        {
            // Waiting longer would not help: whenever the next attempt comes, it presents this
            // same refresh token. Now, inside the server's reuse grace, is its best chance.
            Log.RefreshAnswerLost(_logger, _name, result.Failure!.Failure, (int?)result.StatusCode, (long)LostAnswerRetryDelay.TotalMilliseconds);
            await Task.Delay(LostAnswerRetryDelay, _time, cancellationToken).ConfigureAwait(false);
            result = await _refresh(tokenEndpoint, stored.RefreshToken!, proof, cancellationToken).ConfigureAwait(false);
            presentedAgain = true;
        }

        var mayBeSpent = earlierUnanswered || presentedAgain || result.AnswerLost;
        switch (result.Kind)
        {
            case TokenResultKind.Issued:
                return await StoreIssuedAsync(stored, result.Tokens!, marker, lease, cancellationToken).ConfigureAwait(false);
            case TokenResultKind.Rejected:
                var reason = earlierUnanswered || presentedAgain ? SignInRequiredReason.RefreshAnswerLost : SignInRequiredReason.RefreshRejected;
                return await RejectedAsync(stored, result.Error!, reason, lease, cancellationToken).ConfigureAwait(false);
            case TokenResultKind.ClientMisconfigured:
                Log.ClientConfigurationError(_logger, _name, result.Error!.Code);
                await UnmarkAsync(stored, mayBeSpent, lease, cancellationToken).ConfigureAwait(false);
                return RefreshOutcome.Failed(result.Failure!);
            default:
                if (result.IssuedRefreshToken is { } issued && issued != stored.RefreshToken)
                {
                    await KeepIssuedRefreshTokenAsync(stored, issued, marker, lease, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // A lost answer leaves the marker: the next holder must know that this
                    // refresh token may be spent.
                    await UnmarkAsync(stored, mayBeSpent, lease, cancellationToken).ConfigureAwait(false);
                }

                return RefreshOutcome.Failed(result.Failure!);
        }
    }

    private async Task<RefreshOutcome> StoreIssuedAsync(TokenSet stored, TokenResponse response, string marker, IRefreshLease lease, CancellationToken cancellationToken)
    {
        // Invariant 13: the write comes first. Between the server's rotation and this write the
        // new refresh token exists only in this process.
        var now = _time.GetUtcNow();
        var next = response.ToTokenSet(now, _defaultLifetime, stored);
        await _writer.StoreRedeemedAsync(next, marker, lease, cancellationToken).ConfigureAwait(false);
        Log.RefreshSucceeded(_logger, _name, (long)(next.ExpiresAt - now).TotalSeconds, response.RefreshToken is not null);
        return RefreshOutcome.FromRefresh(_schedule.CreateSnapshot(next), response.RefreshToken is not null);
    }

    private async Task<RefreshOutcome> RejectedAsync(TokenSet stored, OAuthError error, SignInRequiredReason reason, IRefreshLease lease, CancellationToken cancellationToken)
    {
        // Invariant 5: a rejection is final only if no newer refresh token arrived while we were
        // asking (a process that shares the store but not this lock).
        var latest = await _store.GetAsync(_storeKey, cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest.RefreshToken != stored.RefreshToken)
        {
            if (_reader.UsableSnapshot(latest) is not { } adopted)
            {
                // Not signed out: the newer refresh token is alive, and the next refresh redeems it.
                return RefreshOutcome.Failed(new TokenEndpointException(TokenEndpointFailure.Transient, "The store holds newer tokens whose access token cannot be sent; the next refresh replaces them."));
            }

            Log.AdoptedStoredTokens(_logger, _name);
            return RefreshOutcome.Token(adopted);
        }

        Log.RefreshRejected(_logger, _name, error.Code);
        await RemoveStoredAsync(lease, cancellationToken).ConfigureAwait(false);
        return RefreshOutcome.SignedOut(reason, error.Code);
    }

    /// <summary>
    /// The server answered with a refresh token but no usable access token: with rotation the
    /// refresh token just redeemed may be spent, so the new one replaces it in the store (beside
    /// the current access token) and the next refresh redeems it. Invariants 11 and 13: it is the
    /// only copy of the new refresh token, so its write is retried like that of issued tokens, and
    /// written under the next lock if it still fails (the marker stays until then).
    /// </summary>
    private async Task KeepIssuedRefreshTokenAsync(TokenSet stored, string issued, string marker, IRefreshLease lease, CancellationToken cancellationToken)
    {
        var kept = new TokenSet(stored.AccessToken, stored.ExpiresAt)
        {
            TokenType = stored.TokenType,
            RefreshToken = issued,
            Scope = stored.Scope,
            IssuedAt = stored.IssuedAt,
            IdToken = stored.IdToken,
            DPoPKey = stored.DPoPKey,
        };
        if (await _writer.StoreRedeemedAsync(kept, marker, lease, cancellationToken).ConfigureAwait(false))
        {
            Log.KeptIssuedRefreshToken(_logger, _name);
        }
    }

    /// <summary>
    /// The server cannot have redeemed the refresh token (it was never reached, or said it did
    /// not process the request): the marker comes off, unless an earlier answer may be lost.
    /// Best effort: a marker left behind only makes the next holder more careful.
    /// </summary>
    private async Task UnmarkAsync(TokenSet stored, bool mayBeSpent, IRefreshLease lease, CancellationToken cancellationToken)
    {
        if (mayBeSpent)
        {
            return;
        }

        try
        {
            await _store.SetAsync(_storeKey, stored.WithRedeeming(null), lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreWriteFailed(_logger, _name, ex);
        }
    }

    /// <summary>Records the sign-out of tokens the server rejected; a failure is logged, the session signs out regardless.</summary>
    public async Task RemoveStoredAsync(IRefreshLease lease, CancellationToken cancellationToken)
    {
        try
        {
            await _store.RemoveAsync(_storeKey, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreRemoveFailed(_logger, _name, ex);
        }
    }
}
