namespace AuthHandler.Sessions.Internal;

/// <summary>
/// How a shared refresh ended. A refresh task always completes with one of these — it never
/// faults — so every waiter wakes up.
/// </summary>
internal sealed class RefreshOutcome
{
    private RefreshOutcome(TokenSnapshot? snapshot, UnauthorizedReason? signedOut, string? error, TokenEndpointException? failure)
    {
        Snapshot = snapshot;
        SignedOutReason = signedOut;
        Error = error;
        Failure = failure;
    }

    /// <summary>The new tokens; on failure, the tokens read from the store, if any.</summary>
    public TokenSnapshot? Snapshot { get; }

    public UnauthorizedReason? SignedOutReason { get; }

    public string? Error { get; }

    public TokenEndpointException? Failure { get; }

    /// <summary>The token endpoint issued the snapshot's tokens (as opposed to reading them from the store).</summary>
    public bool Refreshed { get; private init; }

    public bool RefreshTokenRotated { get; private init; }

    public static RefreshOutcome Token(TokenSnapshot snapshot) => new(snapshot, null, null, null);

    public static RefreshOutcome FromRefresh(TokenSnapshot snapshot, bool refreshTokenRotated) =>
        new(snapshot, null, null, null) { Refreshed = true, RefreshTokenRotated = refreshTokenRotated };

    public static RefreshOutcome SignedOut(UnauthorizedReason reason, string? error = null, TokenStoreException? storeFailure = null) =>
        new(null, reason, error, null) { StoreFailure = storeFailure };

    /// <summary>The store entry that could not be read, when that is why the session signed out.</summary>
    public TokenStoreException? StoreFailure { get; private init; }

    /// <summary>A failed refresh; <paramref name="current"/> is the token set read from the store, which stays in use.</summary>
    public static RefreshOutcome Failed(TokenEndpointException failure, TokenSnapshot? current = null) => new(current, null, null, failure);

    /// <summary>A fresh exception per waiter: one exception object must not be thrown on many threads.</summary>
    public TokenEndpointException NewException() =>
        new(Failure!.Failure, Failure.Message, Failure.Error, Failure.StatusCode, Failure) { RetryAfter = Failure.RetryAfter };
}
