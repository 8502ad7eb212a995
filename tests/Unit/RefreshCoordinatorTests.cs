using AuthHandler.Diagnostics.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

public sealed class RefreshCoordinatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly TokenState _state;
    private readonly TestMeterFactory _meters = new();
    private readonly List<(TokenSnapshot? Replacing, TaskCompletionSource<RefreshOutcome> Done)> _refreshes = [];
    private readonly SessionSignals _signals;
    private readonly RefreshCoordinator _coordinator;

    public RefreshCoordinatorTests()
    {
        _state = new TokenState(_time);
        var metrics = new DeviceAuthMetrics(_meters);
        _signals = new SessionSignals("api", onSignInRequired: null, _time, NullLogger.Instance, metrics) { Sender = this };
        _coordinator = new RefreshCoordinator("api", _state, RefreshAsync, _signals, signInOnDemand: false, TimeSpan.FromSeconds(30), _time, NullLogger.Instance, metrics, CancellationToken.None);
    }

    private static TokenSnapshot Snapshot(string accessToken) =>
        new(new TokenSet(accessToken, Now.AddHours(1)) { RefreshToken = "r" }, "Bearer " + accessToken, Now.AddMinutes(55), Now.AddMinutes(59));

    [Fact]
    public async Task Join_ManyCallersForTheSameToken_StartOneRefreshAndAllGetItsTokens()
    {
        var old = Snapshot("old");
        _state.SignIn(old);

        var joins = Enumerable.Range(0, 50).Select(_ => _coordinator.Join(old)).ToList();
        var next = Snapshot("new");
        (await StartedAsync(1)).Done.SetResult(RefreshOutcome.FromRefresh(next, refreshTokenRotated: true));
        var outcomes = await Task.WhenAll(joins);

        Assert.Single(_refreshes);
        Assert.Same(old, _refreshes[0].Replacing);
        Assert.All(outcomes, o => Assert.Same(next, o.Snapshot));
        Assert.Same(next, _state.Snapshot);
    }

    [Fact]
    public async Task RefreshNow_ManyCallsInsideTheSkew_StartOneRefreshAndCountNoJoins()
    {
        var old = Snapshot("old");
        _state.SignIn(old);
        var joins = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (_meters.Meters.Contains(instrument.Meter) && instrument.Name == "authhandler.refresh.joins")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref joins, value));
        listener.Start();

        for (var i = 0; i < 20; i++)
        {
            _coordinator.RefreshNow(old);
        }

        var started = await StartedAsync(1);
        started.Done.SetResult(RefreshOutcome.FromRefresh(Snapshot("new"), refreshTokenRotated: false));
        await _coordinator.WhenCompleted();

        Assert.Single(_refreshes);
        Assert.Equal(0, Interlocked.Read(ref joins));
    }

    [Fact]
    public async Task Join_CallerWhoseTokenWasAlreadyReplaced_GetsTheReplacementWithoutARefresh()
    {
        var old = Snapshot("old");
        var current = Snapshot("current");
        _state.SignIn(current);

        var outcome = await _coordinator.Join(old);

        Assert.Same(current, outcome.Snapshot);
        Assert.Empty(_refreshes);
    }

    [Fact]
    public async Task Join_AfterARefreshEnded_StartsTheNextOne()
    {
        var first = Snapshot("first");
        _state.SignIn(first);
        var join = _coordinator.Join(first);
        var second = Snapshot("second");
        (await StartedAsync(1)).Done.SetResult(RefreshOutcome.FromRefresh(second, refreshTokenRotated: false));
        await join;

        var again = _coordinator.Join(second);
        (await StartedAsync(2)).Done.SetResult(RefreshOutcome.FromRefresh(Snapshot("third"), refreshTokenRotated: false));
        await again;

        Assert.Equal(2, _refreshes.Count);
    }

    [Fact]
    public async Task Join_RefreshedEvent_IsRaisedBeforeTheWaitersResume()
    {
        var old = Snapshot("old");
        _state.SignIn(old);
        var join = _coordinator.Join(old);
        bool? waiterDoneAtEvent = null;
        _signals.Refreshed += (_, _) => waiterDoneAtEvent = join.IsCompleted;

        (await StartedAsync(1)).Done.SetResult(RefreshOutcome.FromRefresh(Snapshot("new"), refreshTokenRotated: true));
        await join;

        Assert.False(waiterDoneAtEvent);
    }

    [Fact]
    public async Task Join_UnauthorizedEvent_IsRaisedOnceBeforeTheWaitersResume()
    {
        var old = Snapshot("old");
        _state.SignIn(old);
        var joins = Enumerable.Range(0, 5).Select(_ => _coordinator.Join(old)).ToList();
        var events = new List<bool>();
        _signals.SignInRequired += (_, _) => events.Add(joins.Any(j => j.IsCompleted));

        (await StartedAsync(1)).Done.SetResult(RefreshOutcome.SignedOut(SignInRequiredReason.RefreshRejected, "invalid_grant"));
        await Task.WhenAll(joins);

        Assert.Equal([false], events);
        Assert.Equal(SessionState.SignInRequired, _state.State);
    }

    [Fact]
    public async Task Join_RefreshThatThrows_EndsAsATransientFailureKeepingTheTokens()
    {
        var old = Snapshot("old");
        _state.SignIn(old);
        var join = _coordinator.Join(old);

        (await StartedAsync(1)).Done.SetException(new InvalidOperationException("a bug"));
        var outcome = await join;

        Assert.IsType<TokenEndpointException>(outcome.Failure);
        Assert.Same(old, _state.Snapshot);
    }

    [Fact]
    public async Task RefreshAhead_WhileARefreshRuns_StartsNoOther()
    {
        var old = Snapshot("old");
        _state.SignIn(old);

        _coordinator.RefreshAhead(old, Now);
        _coordinator.RefreshAhead(old, Now);
        var started = await StartedAsync(1);
        Assert.True(_coordinator.IsRunning);
        started.Done.SetResult(RefreshOutcome.FromRefresh(Snapshot("new"), refreshTokenRotated: false));
        await _coordinator.WhenCompleted();

        Assert.Single(_refreshes);
        Assert.False(_coordinator.IsRunning);
    }

    public void Dispose()
    {
        _state.Dispose();
        _meters.Dispose();
    }

    private Task<RefreshOutcome> RefreshAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<RefreshOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_refreshes)
        {
            _refreshes.Add((replacing, done));
        }

        return done.Task;
    }

    /// <summary>Waits (bounded) until the coordinator has started its <paramref name="count"/>th refresh, on the thread pool.</summary>
    private async Task<(TokenSnapshot? Replacing, TaskCompletionSource<RefreshOutcome> Done)> StartedAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            lock (_refreshes)
            {
                if (_refreshes.Count >= count)
                {
                    return _refreshes[count - 1];
                }
            }

            await Task.Yield();
            deadline.Token.ThrowIfCancellationRequested();
        }
    }
}
