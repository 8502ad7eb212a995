using AuthHandler.Diagnostics.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

public sealed class SessionSignalsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly TestMeterFactory _meters = new();

    private static RefreshOutcome Rejected => RefreshOutcome.SignedOut(SignInRequiredReason.RefreshRejected, "invalid_grant");

    [Fact]
    public async Task RefreshEndedAsync_SignedOutNow_RaisesTheEventThenTheCallbackWithTheSameArguments()
    {
        var seen = new List<(string Who, SignInRequiredEventArgs Args)>();
        var signals = Signals(args =>
        {
            seen.Add(("callback", args));
            return ValueTask.CompletedTask;
        });
        signals.SignInRequired += (_, args) => seen.Add(("event", args));

        await signals.RefreshEndedAsync(Rejected, signedOutNow: true, startedFromStore: false, TimeSpan.Zero, activity: null);

        Assert.Equal(["event", "callback"], seen.Select(s => s.Who));
        Assert.Same(seen[0].Args, seen[1].Args);
        Assert.Equal(SignInRequiredReason.RefreshRejected, seen[0].Args.Reason);
        Assert.Equal("invalid_grant", seen[0].Args.Error);
    }

    [Fact]
    public async Task RefreshEndedAsync_NotANewSignOut_RaisesNothing()
    {
        var raised = 0;
        var signals = Signals(_ =>
        {
            raised++;
            return ValueTask.CompletedTask;
        });
        signals.SignInRequired += (_, _) => raised++;

        await signals.RefreshEndedAsync(Rejected, signedOutNow: false, startedFromStore: false, TimeSpan.Zero, activity: null);

        Assert.Equal(0, raised);
    }

    [Fact]
    public async Task RefreshEndedAsync_CallbackThatNeverEnds_IsWaitedForExactlyTheBound()
    {
        var never = new TaskCompletionSource();
        var signals = Signals(_ => new ValueTask(never.Task));

        var ended = signals.RefreshEndedAsync(Rejected, signedOutNow: true, startedFromStore: false, TimeSpan.Zero, activity: null).AsTask();
        _time.Advance(SessionSignals.CallbackBound - TimeSpan.FromTicks(1));
        var endedBeforeTheBound = ended.IsCompleted;
        _time.Advance(TimeSpan.FromTicks(1));

        // Bounded on the real clock too: an unbounded wait would fail here instead of hanging.
        await ended.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.False(endedBeforeTheBound);
        never.SetResult();
    }

    [Fact]
    public async Task RefreshEndedAsync_ThrowingSubscriberAndCallback_OthersStillRunAndNothingThrows()
    {
        var ran = new List<string>();
        var signals = Signals(_ => throw new InvalidOperationException("callback"));
        signals.SignInRequired += (_, _) => throw new InvalidOperationException("first");
        signals.SignInRequired += (_, _) => ran.Add("second");

        await signals.RefreshEndedAsync(Rejected, signedOutNow: true, startedFromStore: false, TimeSpan.Zero, activity: null);

        Assert.Equal(["second"], ran);
    }

    [Fact]
    public async Task RefreshEndedAsync_Refreshed_RaisesRefreshedWithTheNewExpiry()
    {
        var snapshot = new TokenSnapshot(new TokenSet("a", Now.AddHours(1)) { RefreshToken = "r" }, "Bearer a", Now.AddMinutes(55), Now.AddMinutes(59));
        RefreshedEventArgs? refreshed = null;
        var signals = Signals(null);
        signals.Refreshed += (_, args) => refreshed = args;

        await signals.RefreshEndedAsync(RefreshOutcome.FromRefresh(snapshot, refreshTokenRotated: true), signedOutNow: false, startedFromStore: false, TimeSpan.Zero, activity: null);

        Assert.Equal(Now.AddHours(1), refreshed!.ExpiresAt);
        Assert.True(refreshed.RefreshTokenRotated);
        Assert.Equal("api", refreshed.ClientName);
    }

    public void Dispose() => _meters.Dispose();

    private SessionSignals Signals(Func<SignInRequiredEventArgs, ValueTask>? callback) =>
        new("api", callback, _time, NullLogger.Instance, new DeviceAuthMetrics(_meters)) { Sender = this };
}
