using System.Diagnostics;
using AuthHandler.Diagnostics.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// The single flight (invariant 3): at most one refresh per session at a time, requested for the
/// token that failed. A caller whose token was already replaced gets the replacement at once; a
/// caller that finds a refresh running joins it. The refresh runs on the thread pool under the
/// session's lifetime, never a caller's cancellation token, and always completes.
/// </summary>
internal sealed class RefreshCoordinator
{
    private static readonly Task<RefreshOutcome> SignedOutOutcome = Task.FromResult(RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens));

    private readonly string _name;
    private readonly TokenState _state;
    private readonly Func<TokenSnapshot?, CancellationToken, Task<RefreshOutcome>> _refresh;
    private readonly SessionSignals _signals;
    private readonly bool _signInOnDemand;
    private readonly TimeSpan _retryDelay;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeviceAuthMetrics _metrics;
    private readonly CancellationToken _lifetime;

    private volatile TaskCompletionSource<RefreshOutcome>? _pending;
    private Activity? _activity;
    private Task? _latestRun;

    public RefreshCoordinator(
        string name,
        TokenState state,
        Func<TokenSnapshot?, CancellationToken, Task<RefreshOutcome>> refresh,
        SessionSignals signals,
        bool signInOnDemand,
        TimeSpan retryDelay,
        TimeProvider time,
        ILogger logger,
        DeviceAuthMetrics metrics,
        CancellationToken lifetime)
    {
        _name = name;
        _state = state;
        _refresh = refresh;
        _signals = signals;
        _signInOnDemand = signInOnDemand;
        _retryDelay = retryDelay;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _lifetime = lifetime;
    }

    /// <summary>Whether a refresh is running now (a lock-free read).</summary>
    public bool IsRunning => _pending is not null;

    /// <summary>Completes when the latest refresh has published its outcome and raised its signals.</summary>
    public Task WhenCompleted() => Volatile.Read(ref _latestRun) ?? Task.CompletedTask;

    /// <summary>
    /// Starts a background refresh inside the refresh window, unless one runs or a failed one is
    /// backing off. The checks are lock-free so that requests inside the window do not contend.
    /// </summary>
    public void RefreshAhead(TokenSnapshot snapshot, DateTimeOffset now)
    {
        if (_pending is null && _state.BackgroundRetryDue(now))
        {
            _ = Join(snapshot);
        }
    }

    /// <summary>
    /// Starts a refresh for a token inside the skew unless one runs; the caller goes on with its
    /// token and does not wait, so it is not counted as joining.
    /// </summary>
    public void RefreshNow(TokenSnapshot snapshot)
    {
        if (_pending is null)
        {
            _ = Join(snapshot);
        }
    }

    /// <summary>
    /// Joins the refresh in flight or starts one for <paramref name="replacing"/> (null: the first
    /// read of the store). Never starts a second refresh while one runs.
    /// </summary>
    public Task<RefreshOutcome> Join(TokenSnapshot? replacing)
    {
        TaskCompletionSource<RefreshOutcome> pending;
        int generation;
        lock (_state.SyncRoot)
        {
            var current = _state.Snapshot;
            if (current is not null && !ReferenceEquals(current, replacing))
            {
                // Someone already replaced the token this caller has: use theirs.
                return Task.FromResult(RefreshOutcome.Token(current));
            }

            if (current is null && _state.State == SessionState.SignInRequired && !_state.MayLeaveSignedOut(_time.GetUtcNow(), _signInOnDemand))
            {
                return SignedOutOutcome;
            }

            if (_pending is { } running)
            {
                Log.JoinedRefresh(_logger, _name);
                _metrics.Joined(_name);
                if (Activity.Current is { } waiting)
                {
                    Volatile.Read(ref _activity)?.AddLink(new ActivityLink(waiting.Context));
                }

                return running.Task;
            }

            pending = new TaskCompletionSource<RefreshOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = pending;
            generation = _state.Generation;
        }

        // The span starts here, so that requests joining before the work runs can link to it.
        var activity = DeviceAuthActivities.StartShared("AuthHandler.Refresh", _name);
        Volatile.Write(ref _activity, activity);

        // On the thread pool: the request that happens to start a refresh (a refresh-ahead above
        // all) must not pay for the lock, the store and building the token request itself.
        Volatile.Write(ref _latestRun, Task.Run(() => RunAsync(pending, replacing, generation, activity)));
        return pending.Task;
    }

    /// <summary>Runs one refresh to completion, publishes it, signals it, then releases the waiters. Never throws.</summary>
    private async Task RunAsync(TaskCompletionSource<RefreshOutcome> pending, TokenSnapshot? replacing, int generation, Activity? activity)
    {
        var started = _time.GetTimestamp();
        Activity.Current = activity;
        RefreshOutcome outcome;
        try
        {
            outcome = await _refresh(replacing, _lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (_lifetime.IsCancellationRequested)
        {
            outcome = RefreshOutcome.Failed(new ObjectDisposedException($"The session of client '{_name}' was disposed while it refreshed its tokens; they are kept.", ex));
        }
        catch (Exception ex)
        {
            // Not an expected outcome (the refresher returns those): a bug or an unusual store.
            // Transient: the tokens are kept.
            Log.RefreshFailed(_logger, _name, TokenEndpointFailure.Transient, null, null, ex);
            outcome = RefreshOutcome.Failed(new TokenEndpointException(TokenEndpointFailure.Transient, $"Refreshing the access token failed: {ex.Message}", innerException: ex));
        }

        bool signedOutNow;
        lock (_state.SyncRoot)
        {
            (outcome, signedOutNow) = _state.PublishLocked(outcome, generation, _time.GetUtcNow(), _retryDelay);
            _pending = null;
        }

        // Signals first, so an app observes the outcome before the requests that waited for it resume.
        try
        {
            await _signals.RefreshEndedAsync(outcome, signedOutNow, startedFromStore: replacing is null, _time.GetElapsedTime(started), activity).ConfigureAwait(false);
        }
        finally
        {
            pending.SetResult(outcome);
        }
    }
}
