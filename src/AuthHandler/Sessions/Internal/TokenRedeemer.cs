using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// The redeeming half of a refresh, under the lock <see cref="TokenRefresher"/> holds: call the
/// token endpoint with the stored refresh token and write what its answer means to the store
/// (new tokens, a rotated refresh token in an unusable answer, a rejection).
/// </summary>
internal sealed class TokenRedeemer
{
    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly AuthorizationServer _server;
    private readonly TokenEndpointClient _tokenClient;
    private readonly RefreshSchedule _schedule;
    private readonly TimeSpan _defaultLifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public TokenRedeemer(
        string name,
        string storeKey,
        ITokenStore store,
        AuthorizationServer server,
        TokenEndpointClient tokenClient,
        RefreshSchedule schedule,
        TimeSpan defaultLifetime,
        TimeProvider time,
        ILogger logger)
    {
        _name = name;
        _storeKey = storeKey;
        _store = store;
        _server = server;
        _tokenClient = tokenClient;
        _schedule = schedule;
        _defaultLifetime = defaultLifetime;
        _time = time;
        _logger = logger;
    }

    /// <summary>Redeems the stored refresh token; the caller holds the refresh lock.</summary>
    public async Task<RefreshOutcome> RedeemAsync(TokenSet stored, IRefreshLease lease, CancellationToken cancellationToken)
    {
        Uri tokenEndpoint;
        try
        {
            tokenEndpoint = await _server.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            return RefreshOutcome.Failed(new TokenEndpointException(
                ex.IsTransient ? TokenEndpointFailure.Transient : TokenEndpointFailure.ClientConfiguration,
                ex.Message,
                innerException: ex));
        }

        Log.RefreshStarted(_logger, _name);
        var result = await _tokenClient.RefreshAsync(tokenEndpoint, stored.RefreshToken!, cancellationToken).ConfigureAwait(false);
        switch (result.Kind)
        {
            case TokenResultKind.Issued:
                return await StoreIssuedAsync(stored, result.Tokens!, lease, cancellationToken).ConfigureAwait(false);
            case TokenResultKind.Rejected:
                return await RejectedAsync(stored, result.Error!, lease, cancellationToken).ConfigureAwait(false);
            case TokenResultKind.ClientMisconfigured:
                Log.ClientConfigurationError(_logger, _name, result.Error!.Code);
                return RefreshOutcome.Failed(result.Failure!);
            default:
                if (result.IssuedRefreshToken is { } issued && issued != stored.RefreshToken)
                {
                    await KeepIssuedRefreshTokenAsync(stored, issued, lease, cancellationToken).ConfigureAwait(false);
                }

                return RefreshOutcome.Failed(result.Failure!);
        }
    }

    private async Task<RefreshOutcome> StoreIssuedAsync(TokenSet stored, TokenResponse response, IRefreshLease lease, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var next = response.ToTokenSet(now, _defaultLifetime, stored);
        try
        {
            await _store.SetAsync(_storeKey, next, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The old refresh token may be rotated away already: the new tokens in memory are
            // the only valid ones, so keep serving them.
            Log.StoreWriteFailed(_logger, _name, ex);
        }

        Log.RefreshSucceeded(_logger, _name, (long)(next.ExpiresAt - now).TotalSeconds, response.RefreshToken is not null);
        return RefreshOutcome.FromRefresh(_schedule.CreateSnapshot(next), response.RefreshToken is not null);
    }

    private async Task<RefreshOutcome> RejectedAsync(TokenSet stored, OAuthError error, IRefreshLease lease, CancellationToken cancellationToken)
    {
        // Invariant 5: a rejection is final only if no newer refresh token arrived while we were
        // asking (a process that shares the store but not this lock).
        var latest = await _store.GetAsync(_storeKey, cancellationToken).ConfigureAwait(false);
        if (latest is not null && latest.RefreshToken != stored.RefreshToken)
        {
            if (UsableSnapshot(latest) is not { } adopted)
            {
                // Not signed out: the newer refresh token is alive, and the next refresh redeems it.
                return RefreshOutcome.Failed(new TokenEndpointException(TokenEndpointFailure.Transient, "The store holds newer tokens whose access token cannot be sent; the next refresh replaces them."));
            }

            Log.AdoptedStoredTokens(_logger, _name);
            return RefreshOutcome.Token(adopted);
        }

        Log.RefreshRejected(_logger, _name, error.Code);
        await RemoveStoredAsync(lease, cancellationToken).ConfigureAwait(false);
        return RefreshOutcome.SignedOut(SignInRequiredReason.RefreshRejected, error.Code);
    }

    /// <summary>
    /// The server answered with a refresh token but no usable access token: with rotation the
    /// refresh token just redeemed may be spent, so the new one replaces it in the store (beside
    /// the current access token) and the next refresh redeems it.
    /// </summary>
    private async Task KeepIssuedRefreshTokenAsync(TokenSet stored, string issued, IRefreshLease lease, CancellationToken cancellationToken)
    {
        var kept = new TokenSet(stored.AccessToken, stored.ExpiresAt)
        {
            TokenType = stored.TokenType,
            RefreshToken = issued,
            Scope = stored.Scope,
            IssuedAt = stored.IssuedAt,
        };
        try
        {
            await _store.SetAsync(_storeKey, kept, lease, cancellationToken).ConfigureAwait(false);
            Log.KeptIssuedRefreshToken(_logger, _name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreWriteFailed(_logger, _name, ex);
        }
    }

    /// <summary>The snapshot of tokens read from a store, or null when their access token must not reach a header.</summary>
    public TokenSnapshot? UsableSnapshot(TokenSet tokens)
    {
        if (_schedule.CanSend(tokens))
        {
            return _schedule.CreateSnapshot(tokens);
        }

        Log.StoredTokenUnusable(_logger, _name);
        return null;
    }

    /// <summary>Deletes tokens the server rejected; a failure is logged, the session signs out regardless.</summary>
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
