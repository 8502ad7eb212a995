using System.Collections.Concurrent;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>
/// Tells which requests waited on a refresh, exactly rather than by a latency threshold.
/// </summary>
/// <remarks>
/// Before its first send, <c>DeviceAuthHandler</c> awaits one thing: the session's token. That
/// await completes synchronously unless the request has to wait for a refresh. So an entry
/// handler placed directly in front of the auth handler marks the request on its thread while
/// its synchronous part runs, and the API checks the mark on the first attempt: a request that
/// reaches the API outside that synchronous part waited on a refresh. The entry handler also
/// notices when the token endpoint was entered on the request's own thread, i.e. the request
/// started the background refresh and ran its synchronous prefix inline.
/// </remarks>
internal sealed class RefreshWaitProbe
{
    private static readonly HttpRequestOptionsKey<bool> Attempted = new("AuthHandler.Benchmarks.Attempted");
    private static readonly HttpRequestOptionsKey<bool> StartedRefresh = new("AuthHandler.Benchmarks.StartedRefresh");

    [ThreadStatic]
    private static HttpRequestMessage? t_entering;

    private readonly ConcurrentDictionary<int, int> _waitedByRefresh = new();
    private long _waited;
    private long _inlineRefreshStarts;

    /// <summary>Reads the number of token-endpoint calls so far, to tell which refresh a wait belongs to.</summary>
    public Func<int>? RefreshCount { get; set; }

    /// <summary>Requests that waited, by the number of token-endpoint calls made when the wait was seen (1: during or after the first refresh).</summary>
    public IReadOnlyDictionary<int, int> WaitedByRefresh => _waitedByRefresh;

    public long Waited => Interlocked.Read(ref _waited);

    public long InlineRefreshStarts => Interlocked.Read(ref _inlineRefreshStarts);

    public static bool DidStartRefresh(HttpRequestMessage request) => request.Options.TryGetValue(StartedRefresh, out var started) && started;

    public DelegatingHandler CreateEntryHandler() => new EntryHandler(this);

    /// <summary>Called by the API on each attempt, before it answers.</summary>
    public void OnApiRequest(HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(Attempted, out _))
        {
            return; // The re-send after a 401 follows an awaited refresh by design; counted as a 401 instead.
        }

        request.Options.Set(Attempted, true);
        if (!ReferenceEquals(t_entering, request))
        {
            Interlocked.Increment(ref _waited);
            _waitedByRefresh.AddOrUpdate(RefreshCount?.Invoke() ?? 0, 1, static (_, count) => count + 1);
        }
    }

    private sealed class EntryHandler(RefreshWaitProbe probe) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var previous = t_entering;
            t_entering = request;
            FakeTokenEndpoint.StartedOnThisThread();
            try
            {
                return base.SendAsync(request, cancellationToken);
            }
            finally
            {
                t_entering = previous;
                if (FakeTokenEndpoint.StartedOnThisThread())
                {
                    Interlocked.Increment(ref probe._inlineRefreshStarts);
                    request.Options.Set(StartedRefresh, true);
                }
            }
        }
    }
}
