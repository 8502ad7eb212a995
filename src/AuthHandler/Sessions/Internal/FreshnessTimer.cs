namespace AuthHandler.Sessions.Internal;

/// <summary>
/// Marks the current snapshot stale when its <see cref="TokenSnapshot.RefreshAt"/> comes, with
/// one timer, so that a request with a fresh token reads one flag instead of the clock
/// (invariant 2). The timer runs on the injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Timers follow the monotonic clock. After a machine sleeps past <see cref="TokenSnapshot.RefreshAt"/>
/// the flag turns a little late; the API's 401 then starts the refresh, and the request is
/// re-sent once.
/// </remarks>
internal sealed class FreshnessTimer : IDisposable
{
    // System.Threading timers take at most about 49.7 days; a later instant is reached in steps.
    private static readonly TimeSpan MaxDue = TimeSpan.FromDays(45);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private TokenSnapshot? _watched;
    private bool _disposed;

    public FreshnessTimer(TimeProvider time) => _time = time;

    /// <summary>Watches <paramref name="snapshot"/> (null: none) instead of the one before.</summary>
    public void Watch(TokenSnapshot? snapshot)
    {
        lock (_gate)
        {
            if (ReferenceEquals(snapshot, _watched) || _disposed)
            {
                return;
            }

            _timer?.Dispose();
            _timer = null;
            _watched = snapshot;
            if (snapshot is not null)
            {
                Arm(snapshot);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    // Under _gate.
    private void Arm(TokenSnapshot snapshot)
    {
        var left = snapshot.RefreshAt - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            snapshot.MarkStale();
            return;
        }

        if (snapshot.RefreshAt == DateTimeOffset.MaxValue)
        {
            // No refresh token: used as it is until the API rejects it.
            return;
        }

        _timer = _time.CreateTimer(static state => ((FreshnessTimer)state!).Fire(), this, left < MaxDue ? left : MaxDue, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        lock (_gate)
        {
            if (_watched is { } snapshot && !_disposed)
            {
                _timer?.Dispose();
                _timer = null;
                Arm(snapshot);
            }
        }
    }
}
