using AuthHandler.Storage.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// The discovery documents of one service provider, by authority: a singleton of the library's
/// own, so that no setting of the application's <c>IMemoryCache</c> (a <c>SizeLimit</c>, which
/// makes every entry without a size throw, or a compaction) can break or evict it. Concurrent
/// first uses share one fetch, also across sessions of one authority; a failed fetch is
/// forgotten at once; a document expires on the injected clock.
/// </summary>
internal sealed class DiscoveryCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public DiscoveryCache(TimeProvider time) => _time = time;

    /// <summary>
    /// The cached fetch of <paramref name="authority"/>, or a new one from <paramref name="fetch"/>,
    /// kept for <paramref name="duration"/>. The fetch must not depend on a caller's cancellation:
    /// other callers share it.
    /// </summary>
    public Task<AuthorizationServerMetadata> GetOrFetch(string authority, TimeSpan duration, Func<Task<AuthorizationServerMetadata>> fetch)
    {
        Task<Task<AuthorizationServerMetadata>> start;
        Task<AuthorizationServerMetadata> fetching;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_entries.TryGetValue(authority, out var cached) && now < cached.ExpiresAt)
            {
                return cached.Fetch;
            }

            // Created here, started outside the lock: the fetch's first steps (building the
            // request, the handler pipeline) must not run while other authorities wait.
            start = new Task<Task<AuthorizationServerMetadata>>(fetch);
            fetching = start.Unwrap();
            _entries[authority] = new Entry(fetching, SaturatingTime.Add(now, duration));
        }

        _ = fetching.ContinueWith(
            (failed, state) => Forget((string)state!, failed),
            authority,
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        start.Start(TaskScheduler.Default);
        return fetching;
    }

    private void Forget(string authority, Task<AuthorizationServerMetadata> failed)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(authority, out var cached) && ReferenceEquals(cached.Fetch, failed))
            {
                _entries.Remove(authority);
            }
        }
    }

    private readonly record struct Entry(Task<AuthorizationServerMetadata> Fetch, DateTimeOffset ExpiresAt);
}
