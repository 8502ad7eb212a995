using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Time.Testing;

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
        using var state = new TokenState(new FakeTimeProvider(Now));

        Assert.Equal(SessionState.Unknown, state.State);
        Assert.Null(state.Snapshot);
    }

    [Fact]
    public void PublishLocked_NewTokens_SignsInWithThem()
    {
        using var state = new TokenState(new FakeTimeProvider(Now));
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
        using var state = new TokenState(new FakeTimeProvider(Now));
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
        using var state = new TokenState(new FakeTimeProvider(Now));
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
        using var state = new TokenState(new FakeTimeProvider(Now));
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
        using var state = new TokenState(new FakeTimeProvider(Now));
        state.SignIn(Snapshot());

        Publish(state, RefreshOutcome.Failed(new TokenEndpointException("busy") { RetryAfter = TimeSpan.FromMinutes(10) }));

        Assert.False(state.BackgroundRetryDue(Now.AddMinutes(10) - TimeSpan.FromTicks(1)));
        Assert.True(state.BackgroundRetryDue(Now.AddMinutes(10)));
    }

    [Fact]
    public void PublishLocked_TransientFailureOnTheFirstRead_UsesTheTokensReadFromTheStore()
    {
        using var state = new TokenState(new FakeTimeProvider(Now));
        var stored = Snapshot();

        Publish(state, RefreshOutcome.Failed(new TokenStoreException("locked", isTransient: true), stored));

        Assert.Same(stored, state.Snapshot);
        Assert.Equal(SessionState.SignedIn, state.State);
    }

    [Fact]
    public void SignOut_ThenMayLeaveSignedOut_OnlyAfterTheRecheckIntervalUnlessSignInOnDemand()
    {
        using var state = new TokenState(new FakeTimeProvider(Now));
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
        using var state = new TokenState(new FakeTimeProvider(Now));
        Publish(state, RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens));
        var generation = state.Generation;

        state.SignIn(Snapshot());

        Assert.Null(state.SignedOutReason);
        Assert.Equal(generation + 1, state.Generation);
    }
}

public sealed class FreshnessTimerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static TokenSnapshot Snapshot(DateTimeOffset refreshAt) =>
        new(new TokenSet("a", refreshAt.AddMinutes(5)) { RefreshToken = "r" }, "Bearer a", refreshAt, refreshAt.AddMinutes(4));

    [Fact]
    public void Watch_SnapshotBeforeItsRefreshAt_IsFreshUntilExactlyThen()
    {
        var time = new FakeTimeProvider(Now);
        using var freshness = new FreshnessTimer(time);
        var snapshot = Snapshot(Now.AddMinutes(55));

        freshness.Watch(snapshot);
        time.Advance(TimeSpan.FromMinutes(55) - TimeSpan.FromTicks(1));
        var freshJustBefore = snapshot.IsFresh;
        time.Advance(TimeSpan.FromTicks(1));

        Assert.True(freshJustBefore);
        Assert.False(snapshot.IsFresh);
    }

    [Fact]
    public void Watch_SnapshotPastItsRefreshAt_IsStaleAtOnce()
    {
        using var freshness = new FreshnessTimer(new FakeTimeProvider(Now));
        var snapshot = Snapshot(Now);

        freshness.Watch(snapshot);

        Assert.False(snapshot.IsFresh);
    }

    [Fact]
    public void Watch_RefreshAtBeyondTheLongestTimer_TurnsStaleOnTimeInSteps()
    {
        var time = new FakeTimeProvider(Now);
        using var freshness = new FreshnessTimer(time);
        var snapshot = Snapshot(Now.AddDays(100));

        freshness.Watch(snapshot);
        time.Advance(TimeSpan.FromDays(100) - TimeSpan.FromSeconds(1));
        var freshJustBefore = snapshot.IsFresh;
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(freshJustBefore);
        Assert.False(snapshot.IsFresh);
    }

    [Fact]
    public void Watch_NoRefreshToken_StaysFreshForever()
    {
        var time = new FakeTimeProvider(Now);
        using var freshness = new FreshnessTimer(time);
        var snapshot = new TokenSnapshot(new TokenSet("a", Now.AddHours(1)), "Bearer a", DateTimeOffset.MaxValue, DateTimeOffset.MaxValue);

        freshness.Watch(snapshot);
        time.Advance(TimeSpan.FromDays(1000));

        Assert.True(snapshot.IsFresh);
    }

    [Fact]
    public void Watch_AReplacedSnapshot_IsNoLongerTurned()
    {
        var time = new FakeTimeProvider(Now);
        using var freshness = new FreshnessTimer(time);
        var first = Snapshot(Now.AddMinutes(1));
        var second = Snapshot(Now.AddMinutes(10));

        freshness.Watch(first);
        freshness.Watch(second);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.True(first.IsFresh);
        Assert.True(second.IsFresh);
    }
}
