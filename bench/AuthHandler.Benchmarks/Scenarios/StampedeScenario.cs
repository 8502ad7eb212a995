using System.Diagnostics;
using System.Globalization;
using System.Net;
using AuthHandler.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Benchmarks.Scenarios;

/// <summary>
/// Issue 9, scenario 2: a burst of concurrent requests whose token has expired, against a token
/// endpoint with 20 ms latency. Counts token-endpoint calls per burst and compares the requests'
/// latency with the same burst on a fresh token. A third burst has a token the client thinks
/// fresh but the API rejects (a storm of 401s), which must also cost one refresh.
/// </summary>
internal static class StampedeScenario
{
    private static readonly TimeSpan TokenEndpointLatency = TimeSpan.FromMilliseconds(20);

    private enum Kind
    {
        Fresh,
        Expired,
        Rejected,
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;

        var endpoint = new FakeTokenEndpoint(TokenEndpointLatency, TimeSpan.FromHours(1));
        var api = new ApiHandler(TimeSpan.Zero);
        endpoint.Issued += token => api.Accept(token.AccessToken, token.ExpiresAt);
        await using var bench = BenchSession.Create(endpoint, inner: client => client.ConfigurePrimaryHttpMessageHandler(() => api));
        using var client = bench.CreateClient();

        Console.WriteLine($"Stampede: {requests} concurrent requests per burst, {rounds} measured bursts of each kind (+1 warm-up), token endpoint latency {TokenEndpointLatency.TotalMilliseconds} ms, API in memory (one Task.Yield).");
        Console.WriteLine($"Processors: {Environment.ProcessorCount}");

        var results = Enum.GetValues<Kind>().ToDictionary(kind => kind, _ => new List<Burst>());
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var kind in Enum.GetValues<Kind>())
            {
                var burst = await RunBurstAsync(bench, api, client, kind, round, requests);
                var latency = new Percentiles(burst.LatenciesMs);
                var sinceRelease = new Percentiles(burst.SinceReleaseMs);
                Console.WriteLine(
                    $"{(round == 0 ? "warm-up" : "burst " + round.ToString(CultureInfo.InvariantCulture)),-8} {Describe(kind),-38} token calls {burst.TokenCalls}, non-200 {burst.Failures}, " +
                    $"p50/p99 from request start {Percentiles.Ms(latency[50])}/{Percentiles.Ms(latency[99])} ms, from release {Percentiles.Ms(sinceRelease[50])}/{Percentiles.Ms(sinceRelease[99])} ms");
                if (round > 0)
                {
                    results[kind].Add(burst);
                }
            }
        }

        // Two views of latency. From each request's own start: what the handler added to that
        // call. From the burst's release: what a caller that fired at the burst's start saw,
        // including the time its request queued for one of the machine's cores, which the
        // fresh burst pays too (its requests just start later instead of finishing later).
        var fresh = Summarize(results[Kind.Fresh]);
        Console.WriteLine();
        Console.WriteLine("| burst | token-endpoint calls per burst | non-200 | from request start: p50 / p99 / max (ms) | added p50 / p99 (ms) | from burst release: p50 / p99 (ms) | added p50 / p99 (ms) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var kind in Enum.GetValues<Kind>())
        {
            var s = Summarize(results[kind]);
            var calls = string.Join(", ", results[kind].Select(b => b.TokenCalls).Distinct().Order());
            Console.WriteLine(
                $"| {Describe(kind)} | {calls} | {results[kind].Sum(b => b.Failures)} " +
                $"| {Percentiles.Ms(s.Latency[50])} / {Percentiles.Ms(s.Latency[99])} / {Percentiles.Ms(s.Latency.Max)} " +
                $"| {Percentiles.Ms(s.Latency[50] - fresh.Latency[50])} / {Percentiles.Ms(s.Latency[99] - fresh.Latency[99])} " +
                $"| {Percentiles.Ms(s.SinceRelease[50])} / {Percentiles.Ms(s.SinceRelease[99])} " +
                $"| {Percentiles.Ms(s.SinceRelease[50] - fresh.SinceRelease[50])} / {Percentiles.Ms(s.SinceRelease[99] - fresh.SinceRelease[99])} |");
        }

        var durations = new Percentiles(endpoint.IssuedTokens.Select(t => t.Duration.TotalMilliseconds));
        Console.WriteLine();
        Console.WriteLine($"Token-endpoint call duration (measured inside the fake endpoint, {durations.Count} calls): p50 {Percentiles.Ms(durations[50])} ms, max {Percentiles.Ms(durations.Max)} ms.");
        Console.WriteLine($"Target: p99 added <= one refresh latency + 5 ms = {TokenEndpointLatency.TotalMilliseconds + 5} ms (nominal) or {Percentiles.Ms(durations[50] + 5)} ms (measured p50 call + 5 ms).");

        var oneCall = results[Kind.Expired].Concat(results[Kind.Rejected]).All(b => b.TokenCalls == 1) && results[Kind.Fresh].All(b => b.TokenCalls == 0);
        return oneCall ? 0 : 1;
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.Fresh => "fresh token",
        Kind.Expired => "token expired (client knows)",
        _ => "token rejected by the API (401 storm)",
    };

    private static async Task<Burst> RunBurstAsync(BenchSession bench, ApiHandler api, HttpClient client, Kind kind, int round, int requests)
    {
        var name = $"{kind.ToString().ToLowerInvariant()}-{round.ToString(CultureInfo.InvariantCulture)}";
        switch (kind)
        {
            case Kind.Fresh:
                api.Accept(name, DateTimeOffset.UtcNow.AddHours(1));
                await bench.SignInAsync(name, TimeSpan.FromHours(1));
                break;
            case Kind.Expired:
                await bench.SignInAsync(name, TimeSpan.FromSeconds(-1));
                break;
            default:
                // Fresh by the client's clock, unknown to the API: every request gets a 401.
                await bench.SignInAsync(name, TimeSpan.FromHours(1));
                break;
        }

        var callsBefore = bench.TokenEndpoint.Calls;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burstStart = new long[1];
        var tasks = new Task<Sample>[requests];
        for (var i = 0; i < requests; i++)
        {
            tasks[i] = SendOneAsync(client, go.Task, burstStart);
        }

        // Give the thread pool a moment to settle, then release every request at once.
        await Task.Delay(50);
        burstStart[0] = Stopwatch.GetTimestamp();
        go.SetResult();
        var samples = await Task.WhenAll(tasks);
        await bench.Session.WhenRefreshCompleted();

        return new Burst(
            bench.TokenEndpoint.Calls - callsBefore,
            samples.Count(s => s.Status != HttpStatusCode.OK),
            [.. samples.Select(s => s.LatencyMs)],
            [.. samples.Select(s => s.SinceReleaseMs)]);
    }

    private static async Task<Sample> SendOneAsync(HttpClient client, Task go, long[] burstStart)
    {
        await go;
        var start = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(new Uri("v1/items", UriKind.Relative));
        var end = Stopwatch.GetTimestamp();
        return new Sample(
            Stopwatch.GetElapsedTime(start, end).TotalMilliseconds,
            Stopwatch.GetElapsedTime(burstStart[0], end).TotalMilliseconds,
            response.StatusCode);
    }

    private static (Percentiles Latency, Percentiles SinceRelease) Summarize(List<Burst> bursts) =>
        (new Percentiles(bursts.SelectMany(b => b.LatenciesMs)), new Percentiles(bursts.SelectMany(b => b.SinceReleaseMs)));

    private sealed record Sample(double LatencyMs, double SinceReleaseMs, HttpStatusCode Status);

    private sealed record Burst(int TokenCalls, int Failures, double[] LatenciesMs, double[] SinceReleaseMs);
}
