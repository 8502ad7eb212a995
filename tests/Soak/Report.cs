using System.Globalization;

namespace AuthHandler.Soak;

/// <summary>Prints the soak's figures as Markdown tables, ready for docs/reliability.md.</summary>
internal static class Report
{
    public static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);

    public static string TimelineLine(TimelineRow row) =>
        $"  [{row.Sample.At.TotalSeconds,6:0} s] {row.Sample.Label}: ok {row.Ok:N0}, failed {row.Failed:N0}, refreshes {row.Refreshes:N0}, "
        + $"working set {Mb(row.Sample.WorkingSetBytes)} MB, GC heap {Mb(row.Sample.GcHeapBytes)} MB, sockets {row.Sample.Sockets}";

    public static void Print(SoakSettings settings, SoakResult result)
    {
        var callers = result.Callers;
        var lifetimes = result.Elapsed / settings.TokenLifetime;
        var period = settings.TokenLifetime - result.EffectiveRefreshWindow;

        Console.WriteLine();
        Console.WriteLine($"## Soak: {settings.Callers} callers, {result.Elapsed.TotalSeconds:0} s, {settings.TokenLifetime.TotalSeconds:0} s tokens, {settings.FaultRate:P0} injected 503s");
        Console.WriteLine();
        Console.WriteLine($"Client options: RefreshWindow {settings.RefreshWindow.TotalMilliseconds:0} ms (effective {result.EffectiveRefreshWindow.TotalMilliseconds:0} ms: at most half the lifetime), "
            + $"ExpirySkew {settings.ExpirySkew.TotalMilliseconds:0} ms, RefreshRetryDelay {settings.RefreshRetryDelay.TotalMilliseconds:0} ms, BackchannelMaxRetryAttempts {settings.BackchannelRetries}, "
            + $"think time {settings.ThinkTime.TotalMilliseconds:0} ms, default file token store. Seed {settings.Seed}.");
        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | --- |");
        Row("API calls made by the callers", callers.Total);
        Row("  ok (2xx)", callers.Ok);
        Row("  failed, caused by an injected fault (TokenEndpointException, status 503)", callers.InjectedFaultFailures);
        Row("  failed, not caused by an injected fault", result.FailuresNotInjected);
        Row("  of which 401s that reached a caller", callers.Unauthorized);
        Row("Calls per second", (long)(callers.Total / result.Elapsed.TotalSeconds));
        Console.WriteLine($"| Latency of ok calls p50 / p99 / p99.9 / max | {callers.Percentile(0.50)} / {callers.Percentile(0.99)} / {callers.Percentile(0.999)} / {callers.MaxLatencyMs()} ms |");
        Row("API requests the server answered 401 (token expired in transit), each re-sent once by the handler", result.ApiExpired);
        Row("Re-sends after a 401 (library event 8)", result.Events.Count(SoakResult.RetriedAfter401Event));
        Row("API requests with an unknown token", result.ApiInvalid);
        Row("Token-endpoint calls", result.TokenCalls);
        Row("  answered with an injected 503", result.InjectedFaults);
        Row("  refreshes granted (new token pair)", result.ServerRefreshes);
        Row("  rotated-away refresh token presented again", result.ReusedRefreshTokens);
        Console.WriteLine($"| Refreshes per token lifetime ({lifetimes:0} lifetimes of {settings.TokenLifetime.TotalSeconds:0} s) | {result.ServerRefreshes / lifetimes:0.00} |");
        Console.WriteLine($"| Refreshes per refresh period (lifetime − window = {period.TotalMilliseconds:0} ms; {result.Elapsed / period:0} periods) | {result.ServerRefreshes / (result.Elapsed / period):0.00} |");
        Row("Refreshed events on the session", result.RefreshedEvents);
        Row("Refreshes that failed after retries (library event 4)", result.Events.Count(SoakResult.RefreshFailedEvent));
        Row("Requests that used the still-valid token after a failed refresh (event 11)", result.Events.Count(SoakResult.UsingCurrentTokenEvent));
        Row("Requests that joined a refresh in flight (event 14)", result.Events.Count(SoakResult.JoinedRefreshEvent));
        Row("Unauthorized signals", result.Signals.Count);
        Console.WriteLine();

        Console.WriteLine("| sample | at (s) | working set (MB) | GC heap after full GC (MB) | open fds | sockets | files | TCP established / time-wait to the port | ok calls | refreshes |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var row in result.Samples)
        {
            var s = row.Sample;
            Console.WriteLine($"| {s.Label} | {s.At.TotalSeconds:0} | {Mb(s.WorkingSetBytes)} | {Mb(s.GcHeapBytes)} | {s.FileDescriptors} | {s.Sockets} | {s.Files} | {s.TcpEstablished} / {s.TcpTimeWait} | {row.Ok:N0} | {row.Refreshes:N0} |");
        }

        Console.WriteLine();
        Console.WriteLine("| check | result | figure |");
        Console.WriteLine("| --- | --- | --- |");
        var passed = true;
        foreach (var (check, ok, detail) in result.Checks(settings))
        {
            passed &= ok;
            Console.WriteLine($"| {check} | {(ok ? "pass" : "FAIL")} | {detail} |");
        }

        if (callers.UnexplainedByKind.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Failures not caused by an injected fault, by kind:");
            foreach (var (kind, count) in callers.UnexplainedByKind.OrderByDescending(kv => kv.Value))
            {
                Console.WriteLine($"  {count,8:N0}  {kind}");
            }
        }

        Console.WriteLine();
        Console.WriteLine(passed ? "SOAK PASSED" : "SOAK FAILED");
        result.Passed = passed;
    }

    private static void Row(string measure, long value) => Console.WriteLine($"| {measure} | {value:N0} |");
}
