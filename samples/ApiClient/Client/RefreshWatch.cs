using AuthHandler;

namespace ApiClient.Client;

/// <summary>
/// Counts a session's <see cref="DeviceAuthSession.Refreshed"/> events and lets a caller wait for
/// them. The session raises the event just after it releases the requests that waited for the
/// refresh, so a request can complete a moment before the event arrives; waiting for it keeps the
/// printed events in the order they happened.
/// </summary>
internal sealed class RefreshWatch
{
    private readonly Lock _gate = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _count;

    public RefreshWatch(DeviceAuthSession session, Action<OnRefreshedArguments> onRefreshed)
    {
        session.Refreshed += (_, arguments) =>
        {
            onRefreshed(arguments);
            lock (_gate)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => w.Count <= _count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        };
    }

    /// <summary>Gets how many refreshes the session has reported.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> refreshes have been reported, or <paramref name="timeout"/>; returns whether they were.</summary>
    public async Task<bool> WaitForAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task reached;
        lock (_gate)
        {
            if (_count >= count)
            {
                return true;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, waiter));
            reached = waiter.Task;
        }

        return await Task.WhenAny(reached, Task.Delay(timeout, cancellationToken)) == reached;
    }
}
