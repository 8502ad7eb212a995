namespace AuthHandler.Sessions.Internal;

/// <summary>
/// How a shared refresh ended: new tokens, tokens adopted from the store, a sign-out, or a
/// failure that keeps the tokens. A refresh always completes with one of these — it never
/// faults — so every waiter wakes up.
/// </summary>
/// <remarks>
/// A failure keeps the type of what failed: <see cref="TokenEndpointException"/> (the
/// authorization server), <see cref="TokenStoreException"/> (the store),
/// <see cref="TimeoutException"/> (the refresh lock was held elsewhere for too long) or
/// <see cref="ObjectDisposedException"/> (the session was disposed).
/// </remarks>
internal sealed class RefreshOutcome
{
    private RefreshOutcome(TokenSnapshot? snapshot, SignInRequiredReason? signedOut, string? error, Exception? failure)
    {
        Snapshot = snapshot;
        SignedOutReason = signedOut;
        Error = error;
        Failure = failure;
    }

    /// <summary>The new tokens; on failure, the tokens read from the store, if any.</summary>
    public TokenSnapshot? Snapshot { get; }

    public SignInRequiredReason? SignedOutReason { get; }

    /// <summary>The OAuth error code behind a sign-out, if any (sanitised).</summary>
    public string? Error { get; }

    public Exception? Failure { get; }

    /// <summary>The token endpoint issued the snapshot's tokens (as opposed to reading them from the store).</summary>
    public bool Refreshed { get; private init; }

    public bool RefreshTokenRotated { get; private init; }

    /// <summary>The store entry that could not be read, when that is why the session signed out.</summary>
    public TokenStoreException? StoreFailure { get; private init; }

    public static RefreshOutcome Token(TokenSnapshot snapshot) => new(snapshot, null, null, null);

    public static RefreshOutcome FromRefresh(TokenSnapshot snapshot, bool refreshTokenRotated) =>
        new(snapshot, null, null, null) { Refreshed = true, RefreshTokenRotated = refreshTokenRotated };

    public static RefreshOutcome SignedOut(SignInRequiredReason reason, string? error = null, TokenStoreException? storeFailure = null) =>
        new(null, reason, error, null) { StoreFailure = storeFailure };

    /// <summary>A failed refresh; <paramref name="current"/> is the token set read from the store, which stays in use.</summary>
    public static RefreshOutcome Failed(Exception failure, TokenSnapshot? current = null) => new(current, null, null, failure);

    /// <summary>
    /// A fresh exception of the same type per waiter, the original as its cause: one exception
    /// object must not be thrown on many threads.
    /// </summary>
    public Exception NewException() => Failure switch
    {
        TokenEndpointException endpoint => new TokenEndpointException(endpoint.Failure, endpoint.Message, endpoint.Error, endpoint.StatusCode, endpoint) { RetryAfter = endpoint.RetryAfter },
        TokenStoreException store => new TokenStoreException(store.Message, store.IsTransient, store),
        TimeoutException timeout => new TimeoutException(timeout.Message, timeout),
        ObjectDisposedException disposed => new ObjectDisposedException(disposed.Message, disposed),
        { } other => new InvalidOperationException(other.Message, other),
        null => throw new InvalidOperationException("The refresh did not fail."),
    };

    public override string ToString() =>
        $"RefreshOutcome {{ Refreshed = {Refreshed}, SignedOutReason = {SignedOutReason}, Failure = {Failure?.GetType().Name} }}";
}
