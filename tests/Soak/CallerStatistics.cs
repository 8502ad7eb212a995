using System.Collections.Concurrent;

namespace AuthHandler.Soak;

/// <summary>What the callers saw, updated from all of them at once.</summary>
internal sealed class CallerStatistics
{
    private const int LatencyBuckets = 60_000;

    // Milliseconds 0 … 59 999; the last bucket holds everything slower.
    private readonly long[] _latencyMs = new long[LatencyBuckets];
    private readonly ConcurrentDictionary<string, long> _unexplained = new(StringComparer.Ordinal);
    private long _ok;
    private long _unauthorized;
    private long _otherStatus;
    private long _injectedFaultFailures;
    private long _unexplainedFailures;

    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Responses with status 401 that reached a caller (the handler gave up on them).</summary>
    public long Unauthorized => Interlocked.Read(ref _unauthorized);

    public long OtherStatus => Interlocked.Read(ref _otherStatus);

    /// <summary>
    /// <see cref="TokenEndpointException"/>s whose status is 503: the refresh the call waited for
    /// ended on an injected fault, retries included (the server answers 503 for nothing else).
    /// </summary>
    public long InjectedFaultFailures => Interlocked.Read(ref _injectedFaultFailures);

    /// <summary>Every other exception.</summary>
    public long UnexplainedFailures => Interlocked.Read(ref _unexplainedFailures);

    public long Failed => Unauthorized + OtherStatus + InjectedFaultFailures + UnexplainedFailures;

    public long Total => Ok + Failed;

    public IReadOnlyDictionary<string, long> UnexplainedByKind => _unexplained;

    public void RecordOk(TimeSpan latency)
    {
        Interlocked.Increment(ref _ok);
        RecordLatency(latency);
    }

    public void RecordUnauthorized(string? reason)
    {
        Interlocked.Increment(ref _unauthorized);
        _unexplained.AddOrUpdate($"401 {reason}", 1, (_, n) => n + 1);
    }

    public void RecordOtherStatus(int status)
    {
        Interlocked.Increment(ref _otherStatus);
        _unexplained.AddOrUpdate($"status {status}", 1, (_, n) => n + 1);
    }

    public void RecordInjectedFault() => Interlocked.Increment(ref _injectedFaultFailures);

    public void RecordUnexplained(Exception exception)
    {
        Interlocked.Increment(ref _unexplainedFailures);
        var kind = $"{exception.GetType().Name}: {exception.Message}";
        _unexplained.AddOrUpdate(kind.Length > 200 ? kind[..200] : kind, 1, (_, n) => n + 1);
    }

    /// <summary>The latency below which <paramref name="fraction"/> of the successful calls completed, in ms.</summary>
    public long Percentile(double fraction)
    {
        var total = _latencyMs.Sum();
        var rank = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var ms = 0; ms < LatencyBuckets; ms++)
        {
            seen += _latencyMs[ms];
            if (seen >= rank && seen > 0)
            {
                return ms;
            }
        }

        return 0;
    }

    public long MaxLatencyMs()
    {
        for (var ms = LatencyBuckets - 1; ms >= 0; ms--)
        {
            if (_latencyMs[ms] > 0)
            {
                return ms;
            }
        }

        return 0;
    }

    private void RecordLatency(TimeSpan latency)
    {
        var ms = (int)Math.Clamp(latency.TotalMilliseconds, 0, LatencyBuckets - 1);
        Interlocked.Increment(ref _latencyMs[ms]);
    }
}
