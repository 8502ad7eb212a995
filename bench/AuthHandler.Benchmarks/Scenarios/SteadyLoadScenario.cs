using System.Diagnostics;
using System.Globalization;
using System.Net;
using AuthHandler.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Benchmarks.Scenarios;

/// <summary>
/// Issue 9, scenario 3: refresh-ahead under steady load. Concurrent callers loop through the
/// client for a fixed time while 3 s tokens (refresh window 1 s) are renewed in the background.
/// Counts the requests that waited on a refresh (exactly, with <see cref="RefreshWaitProbe"/>),
/// the 401s, and the refreshes per token.
/// </summary>
internal static class SteadyLoadScenario
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RefreshWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ExpirySkew = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan TokenEndpointLatency = TimeSpan.FromMilliseconds(20);
    private const double SlowThresholdMs = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var callers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var apiLatency = TimeSpan.FromMilliseconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0);

        var endpoint = new FakeTokenEndpoint(TokenEndpointLatency, TokenLifetime);
        var api = new ApiHandler(apiLatency);
        endpoint.Issued += token => api.Accept(token.AccessToken, token.ExpiresAt);
        var probe = new RefreshWaitProbe();
        api.OnRequest = probe.OnApiRequest;
        probe.RefreshCount = () => endpoint.Calls;
        await using var bench = BenchSession.Create(
            endpoint,
            o =>
            {
                o.RefreshWindow = RefreshWindow;
                o.ExpirySkew = ExpirySkew;
            },
            outer: client => client.AddHttpMessageHandler(probe.CreateEntryHandler),
            inner: client => client.ConfigurePrimaryHttpMessageHandler(() => api));
        using var client = bench.CreateClient();

        var now = DateTimeOffset.UtcNow;
        api.Accept("at-0", now + TokenLifetime);
        await bench.Session.SetTokensAsync(new TokenSet("at-0", now + TokenLifetime) { RefreshToken = "rt-0", IssuedAt = now });

        Console.WriteLine($"Steady load: {callers} callers for {seconds} s, token lifetime {TokenLifetime.TotalSeconds} s, refresh window {RefreshWindow.TotalSeconds} s, expiry skew {ExpirySkew.TotalMilliseconds} ms, token endpoint latency {TokenEndpointLatency.TotalMilliseconds} ms, API {(apiLatency > TimeSpan.Zero ? $"Task.Delay({apiLatency.TotalMilliseconds} ms)" : "in memory (one Task.Yield)")}.");
        Console.WriteLine($"Processors: {Environment.ProcessorCount}");

        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, callers).Select(_ => Task.Run(() => CallerAsync(client, deadline))).ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var callsDuringRun = endpoint.Calls;
        await bench.Session.WhenRefreshCompleted();

        var latencies = new Percentiles(results.SelectMany(r => r.LatenciesMs));
        var total = latencies.Count;
        var callerUnauthorized = results.Sum(r => r.Unauthorized);
        var failures = results.Sum(r => r.Failures);
        var slow = results.Sum(r => r.LatenciesMs.Count(l => l > SlowThresholdMs));
        var starters = new Percentiles(results.SelectMany(r => r.RefreshStarters.Select(s => s.LatencyMs)));

        var issued = endpoint.IssuedTokens.ToList();
        var perRefreshToken = issued.GroupBy(t => t.RedeemedRefreshToken).Select(g => g.Count()).ToList();
        var intervals = issued.Zip(issued.Skip(1), (a, b) => (b.ExpiresAt - a.ExpiresAt).TotalMilliseconds).ToList();
        var lifetimes = elapsed / TokenLifetime;

        Console.WriteLine();
        Console.WriteLine("| measure | value | target |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| requests completed | {total:N0} ({total / elapsed.TotalSeconds:N0}/s over {elapsed.TotalSeconds:0.0} s) | |");
        Console.WriteLine($"| requests that waited on a refresh (probe) | {probe.Waited} | 0 |");
        Console.WriteLine($"| 401s answered by the API | {api.Rejected} | 0 |");
        Console.WriteLine($"| 401s seen by callers | {callerUnauthorized} | 0 |");
        Console.WriteLine($"| other failures (exceptions, non-200) | {failures} | 0 |");
        Console.WriteLine($"| token-endpoint calls during the run | {callsDuringRun} | |");
        Console.WriteLine($"| refreshes per token (calls per distinct refresh token redeemed; max for one token) | {(perRefreshToken.Count == 0 ? 0 : (double)perRefreshToken.Sum() / perRefreshToken.Count):0.00} (max {(perRefreshToken.Count == 0 ? 0 : perRefreshToken.Max())}) | 1 |");
        Console.WriteLine($"| refreshes per 3 s of wall time | {callsDuringRun / lifetimes:0.00} | ~{TokenLifetime / (TokenLifetime - RefreshWindow):0.00} (a refresh every lifetime - window) |");
        if (intervals.Count > 0)
        {
            var interval = new Percentiles(intervals);
            Console.WriteLine($"| interval between refreshes, p50 / min / max (ms) | {Percentiles.Ms(interval[50])} / {Percentiles.Ms(interval[0])} / {Percentiles.Ms(interval.Max)} | ~{(TokenLifetime - RefreshWindow).TotalMilliseconds} + endpoint latency |");
        }

        Console.WriteLine($"| request latency p50 / p99 / p99.9 / max (ms) | {Percentiles.Ms(latencies[50])} / {Percentiles.Ms(latencies[99])} / {Percentiles.Ms(latencies[99.9])} / {Percentiles.Ms(latencies.Max)} | |");
        Console.WriteLine($"| requests slower than {SlowThresholdMs} ms (a latency proxy, not the measure) | {slow} | |");
        Console.WriteLine($"| requests that started the background refresh on their own thread; their latency p50 / max (ms) | {probe.InlineRefreshStarts}; {Percentiles.Ms(starters[50])} / {Percentiles.Ms(starters.Max)} | |");
        Console.WriteLine();
        Console.WriteLine($"Waits by refresh (token-endpoint calls so far when the wait was seen): {(probe.WaitedByRefresh.Count == 0 ? "none" : string.Join(", ", probe.WaitedByRefresh.OrderBy(p => p.Key).Select(p => $"#{p.Key}: {p.Value}")))}.");
        Console.WriteLine($"Latency of each request that started a refresh, in order (ms): {string.Join(", ", results.SelectMany(r => r.RefreshStarters).OrderBy(s => s.Started).Select(s => Percentiles.Ms(s.LatencyMs)))}.");

        return probe.Waited == 0 && api.Rejected == 0 && callerUnauthorized == 0 && failures == 0 ? 0 : 1;
    }

    private static async Task<CallerResult> CallerAsync(HttpClient client, long deadline)
    {
        var result = new CallerResult();
        var uri = new Uri("v1/items", UriKind.Relative);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                using var response = await client.SendAsync(request);
                var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                result.LatenciesMs.Add(latency);
                if (RefreshWaitProbe.DidStartRefresh(request))
                {
                    result.RefreshStarters.Add((start, latency));
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    result.Unauthorized++;
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    result.Failures++;
                }
            }
            catch (HttpRequestException)
            {
                result.Failures++;
            }
            catch (TokenEndpointException)
            {
                result.Failures++;
            }
        }

        return result;
    }

    private sealed class CallerResult
    {
        public List<double> LatenciesMs { get; } = new(capacity: 1 << 16);

        public List<(long Started, double LatencyMs)> RefreshStarters { get; } = [];

        public int Unauthorized { get; set; }

        public int Failures { get; set; }
    }
}
