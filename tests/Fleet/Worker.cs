using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Fleet;

/// <summary>
/// A child process of the fleet: one application instance with the shared sign-in, running
/// <see cref="WorkerSettings.Loops"/> call loops once the parent writes <c>go</c> on its stdin,
/// and reporting every call and signal as a <see cref="WorkerLine"/> on stdout.
/// </summary>
internal static partial class Worker
{
    /// <summary>A call still running this long after the run ended is cut (and reported as such).</summary>
    private static readonly TimeSpan CutAfter = TimeSpan.FromSeconds(10);

    private static readonly Lock OutputGate = new();

    public static async Task<int> RunAsync(WorkerSettings settings)
    {
        await using var provider = FleetServices.Build(settings.RedisConfiguration, settings.Server, settings.KeyRingDirectory, settings.StorageDirectory, settings.Id);
        var session = FleetServices.Session(provider);
        session.SignInRequired += (_, e) => Write(new WorkerLine("sign-out", WorkerLine.Now(), Outcome: e.Reason.ToString(), Error: e.Error));
        session.Refreshed += (_, _) => Write(new WorkerLine("refreshed", WorkerLine.Now()));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(FleetServices.ClientName);

        // Warm-up, not counted: one round of concurrent calls JITs the path and opens the Redis
        // connection, so that the load's first seconds measure the library, not process start-up.
        await Task.WhenAll(Enumerable.Range(0, settings.Loops).Select(_ => WarmUpAsync(client)));
        Write(new WorkerLine("ready", WorkerLine.Now()));
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 1;
        }

        // The parent holds our stdin open; end of file means it is gone, and so must we be.
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            Environment.Exit(3);
        });

        var end = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        using var cut = new CancellationTokenSource(settings.Duration + CutAfter);
        await Task.WhenAll(Enumerable.Range(0, settings.Loops).Select(_ => Task.Run(() => LoopAsync(client, settings.ThinkTime, end, cut.Token))));
        Write(new WorkerLine("done", WorkerLine.Now(), Outcome: session.State.ToString()));
        return 0;
    }

    private static async Task WarmUpAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(AuthorizationServer.ApiPath, UriKind.Relative));
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"warm-up call answered {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync("warm-up call failed: " + Summarize(ex));
        }
    }

    private static async Task LoopAsync(HttpClient client, TimeSpan thinkTime, long end, CancellationToken cut)
    {
        var uri = new Uri(AuthorizationServer.ApiPath, UriKind.Relative);
        while (Stopwatch.GetTimestamp() < end)
        {
            var started = WorkerLine.Now();
            string outcome;
            try
            {
                using var response = await client.GetAsync(uri, cut);
                outcome = response.IsSuccessStatusCode ? WorkerLine.Ok : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (OperationCanceledException) when (cut.IsCancellationRequested)
            {
                outcome = WorkerLine.Cut;
            }
            catch (Exception ex)
            {
                outcome = Summarize(ex);
            }

            Write(new WorkerLine("call", WorkerLine.Now(), started, outcome));
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
            if (thinkTime > TimeSpan.Zero && left > TimeSpan.Zero)
            {
                await Task.Delay(thinkTime < left ? thinkTime : left, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Type and message, numbers blanked (ports, seconds), so that one kind of failure groups into
    /// one row. The library keeps tokens out of its messages; the fake server's are random anyway.
    /// </summary>
    private static string Summarize(Exception ex)
    {
        var text = ex.GetType().Name + ": " + Numbers().Replace(ex.Message, "#");
        if (ex.InnerException is { } inner)
        {
            text += " <- " + inner.GetType().Name;
        }

        return text.Length <= 240 ? text : text[..240] + "…";
    }

    private static void Write(WorkerLine line)
    {
        var json = JsonSerializer.Serialize(line, FleetJsonContext.Default.WorkerLine);
        lock (OutputGate)
        {
            Console.Out.WriteLine(json);
            Console.Out.Flush();
        }
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Numbers();
}
