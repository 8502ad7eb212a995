using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells a test when the code under test starts a timer, so
/// the test can wait until the code is parked on exactly the delay it expects, then advance the
/// clock by exactly that delay — no pumping, no log lines as synchronisation.
/// </summary>
internal sealed class ObservableTimeProvider : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _started = new();
    private readonly SemaphoreSlim _signal = new(0);

    public ObservableTimeProvider(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>Every due time a timer was started with, in order.</summary>
    public IReadOnlyCollection<TimeSpan> StartedTimers => _started;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this, base.CreateTimer(callback, state, dueTime, period));
        Started(dueTime);
        return timer;
    }

    private void Started(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _started.Enqueue(dueTime);
            _signal.Release();
        }
    }

    /// <summary>
    /// Completes once a timer with <paramref name="dueTime"/> has been started (now or earlier);
    /// fails after a bounded real-time wait, so a missing wait fails the test instead of hanging it.
    /// </summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, int count = 1)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_started.Count(t => t == dueTime) < count)
        {
            try
            {
                await _signal.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No timer of {dueTime} was started; started: {string.Join(", ", _started)}.");
            }
        }
    }

    /// <summary>
    /// A timer started later counts too: <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>
    /// (how Polly's timeouts start) changes a timer that was created with an infinite due time.
    /// </summary>
    private sealed class ObservedTimer(ObservableTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            owner.Started(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
