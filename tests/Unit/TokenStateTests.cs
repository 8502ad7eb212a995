using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class TokenStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    private static TokenSnapshot Snapshot(string accessToken = "a") =>
        new(new TokenSet(accessToken, Now.AddHours(1)) { RefreshToken = "r" }, "Bearer " + accessToken, Now.AddMinutes(55), Now.AddMinutes(59));

    private static (RefreshOutcome Outcome, bool SignedOutNow) Publish(TokenState state, RefreshOutcome outcome, int? generation = null, DateTimeOffset? now = null)
    {
        lock (state.SyncRoot)
        {
            return state.PublishLocked(outcome, generation ?? state.Generation, now ?? Now, RetryDelay);
        }
    }

    [Fact]
    public void NewState_IsUnknownWithNoSnapshot()
    {
        var state = new TokenState();

        Assert.Equal(SessionState.Unknown, state.State);
        Assert.Null(state.Snapshot);
    }

    [Fact]
    public void PublishLocked_NewTokens_SignsInWithThem()
    {
        var state = new TokenState();
        var snapshot = Snapshot();

        var (outcome, signedOutNow) = Publish(state, RefreshOutcome.FromRefresh(snapshot, refreshTokenRotated: true));

        Assert.Same(snapshot, state.Snapshot);
        Assert.Equal(SessionState.SignedIn, state.State);
        Assert.Same(snapshot, outcome.Snapshot);
        Assert.False(signedOutNow);
    }

    [Fact]
    public void PublishLocked_SignedOutTwice_OnlyTheFirstIsATransition()
    {
        var state = new TokenState();
        state.SignIn(Snapshot());

        var first = Publish(state, RefreshOutcome.SignedOut(SignInRequiredReason.RefreshRejected, "invalid_grant"));
        var second = Publish(state, RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens));

        Assert.True(first.SignedOutNow);
        Assert.False(second.SignedOutNow);
        Assert.Equal(SessionState.SignInRequired, state.State);
        Assert.Null(state.Snapshot);
        Assert.Equal(SignInRequiredReason.NoTokens, state.SignedOutReason);
    }

    [Fact]
    public void PublishLocked_AppSetTokensMeanwhile_TheAppsTokensStand()
    {
        var state = new TokenState();
        var generation = state.Generation;
        var appTokens = Snapshot("app");
        state.SignIn(appTokens);

        var (outcome, signedOutNow) = Publish(state, RefreshOutcome.SignedOut(SignInRequiredReason.RefreshRejected), generation);

        Assert.Same(appTokens, state.Snapshot);
        Assert.Same(appTokens, outcome.Snapshot);
        Assert.Null(outcome.SignedOutReason);
        Assert.False(signedOutNow);
        Assert.Equal(SessionState.SignedIn, state.State);
    }

    [Fact]
    public void PublishLocked_TransientFailure_KeepsTheTokensAndBacksOffTheRetryDelay()
    {
        var state = new TokenState();
        var held = Snapshot();
        state.SignIn(held);

        Publish(state, RefreshOutcome.Failed(new TokenEndpointException("down")));

        Assert.Same(held, state.Snapshot);
        Assert.Equal(SessionState.SignedIn, state.State);
        Assert.False(state.BackgroundRetryDue(Now + RetryDelay - TimeSpan.FromTicks(1)));
        Assert.True(state.BackgroundRetryDue(Now + RetryDelay));
    }

    [Fact]
    public void PublishLocked_FailureWithALongerRetryAfter_BacksOffThatLong()
    {
        var state = new TokenState();
        state.SignIn(Snapshot());

        Publish(state, RefreshOutcome.Failed(new TokenEndpointException("busy") { RetryAfter = TimeSpan.FromMinutes(10) }));

        Assert.False(state.BackgroundRetryDue(Now.AddMinutes(10) - TimeSpan.FromTicks(1)));
        Assert.True(state.BackgroundRetryDue(Now.AddMinutes(10)));
    }

    [Fact]
    public void PublishLocked_TransientFailureOnTheFirstRead_UsesTheTokensReadFromTheStore()
    {
        var state = new TokenState();
        var stored = Snapshot();

        Publish(state, RefreshOutcome.Failed(new TokenStoreException("locked", isTransient: true), stored));

        Assert.Same(stored, state.Snapshot);
        Assert.Equal(SessionState.SignedIn, state.State);
    }

    [Fact]
    public void SignOut_ThenMayLeaveSignedOut_OnlyAfterTheRecheckIntervalUnlessSignInOnDemand()
    {
        var state = new TokenState();
        state.SignIn(Snapshot());

        state.SignOut(Now);

        Assert.Null(state.Snapshot);
        Assert.Null(state.SignedOutReason);
        Assert.False(state.MayLeaveSignedOut(Now + TokenState.SignedOutRecheckInterval - TimeSpan.FromTicks(1), signInOnDemand: false));
        Assert.True(state.MayLeaveSignedOut(Now + TokenState.SignedOutRecheckInterval, signInOnDemand: false));
        Assert.True(state.MayLeaveSignedOut(Now, signInOnDemand: true));
    }

    [Fact]
    public void SignIn_AfterASignOut_ClearsTheReasonAndBumpsTheGeneration()
    {
        var state = new TokenState();
        Publish(state, RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens));
        var generation = state.Generation;

        state.SignIn(Snapshot());

        Assert.Null(state.SignedOutReason);
        Assert.Equal(generation + 1, state.Generation);
    }
}
