using System.Diagnostics;
using System.Globalization;
using AuthHandler.Benchmarks.Handlers;
using AuthHandler.Benchmarks.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Benchmarks.Scenarios;

/// <summary>
/// Issue 9, scenario 4: requests per second through <see cref="HttpClient"/> to a Kestrel
/// endpoint on 127.0.0.1, with the auth handler and without it, plus two clients that split the
/// difference (the floor handler with the same headers, the auth handler without device
/// headers). Each round rotates the order so that drift on a shared machine favours no client.
/// </summary>
internal static class EndToEndScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        long withToken = 0, withDeviceId = 0, total = 0;
        app.MapGet("/v1/items", (HttpContext context) =>
        {
            // Checks that the handlers did put their headers on the wire.
            Interlocked.Increment(ref total);
            if (context.Request.Headers.Authorization.Count > 0)
            {
                Interlocked.Increment(ref withToken);
            }

            if (context.Request.Headers.ContainsKey("X-Device-Id"))
            {
                Interlocked.Increment(ref withDeviceId);
            }

            return "ok";
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        if (!address.IsLoopback)
        {
            throw new InvalidOperationException($"Kestrel must listen on loopback only, not {address}.");
        }

        var unusedTokenEndpoint = new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), TimeSpan.FromHours(1));
        await using var bench = BenchSession.Create(unusedTokenEndpoint, baseAddress: address);
        await bench.SignInAsync("token", TimeSpan.FromHours(1));
        await using var noDeviceHeaders = BenchSession.Create(unusedTokenEndpoint, o => o.DeviceHeaders.Enabled = false, baseAddress: address);
        await noDeviceHeaders.SignInAsync("token", TimeSpan.FromHours(1));

        // The same client without the handler, and with the floor handler that puts the same
        // headers on the wire: together they split the cost into "bytes on the wire" and "handler".
        var deviceHeaders = bench.Policy.DeviceHeaders.Headers.ToArray();
        var plainServices = new ServiceCollection();
        plainServices.AddHttpClient("plain", c => c.BaseAddress = address);
        plainServices.AddHttpClient("floor", c => c.BaseAddress = address)
            .AddHttpMessageHandler(() => new BearerAndDeviceHeadersHandler(deviceHeaders));
        await using var plainProvider = plainServices.BuildServiceProvider();
        var factory = plainProvider.GetRequiredService<IHttpClientFactory>();

        using var withoutHandler = factory.CreateClient("plain");
        using var floor = factory.CreateClient("floor");
        using var handlerNoDeviceHeaders = noDeviceHeaders.CreateClient();
        using var handler = bench.CreateClient();
        (string Name, HttpClient Client)[] clients =
        [
            ("no handler", withoutHandler),
            ("floor: bearer + 6 device headers", floor),
            ("DeviceAuthHandler, device headers off", handlerNoDeviceHeaders),
            ("DeviceAuthHandler, default device headers", handler),
        ];

        Console.WriteLine($"End to end: Kestrel on {address}, {concurrency} concurrent callers, {rounds} rounds of {seconds} s per client (the order rotates each round), 3 s warm-up each.");
        Console.WriteLine($"Processors: {Environment.ProcessorCount}");

        // "Name: value\r\n" for the bearer header and the device headers: what the handler adds to each request on the wire.
        var addedBytes = "Authorization".Length + "Bearer token".Length + 4 + deviceHeaders.Sum(h => h.Key.Length + h.Value.Length + 4);
        Console.WriteLine($"Bytes the handler adds to each request: {addedBytes} ({string.Join(", ", deviceHeaders.Select(h => h.Key))}, Authorization).");

        foreach (var (_, client) in clients)
        {
            await MeasureAsync(client, 3, concurrency);
        }

        var rates = new double[rounds, clients.Length];
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < clients.Length; i++)
            {
                var index = (i + round) % clients.Length;
                rates[round, index] = await MeasureAsync(clients[index].Client, seconds, concurrency);
            }

            Console.WriteLine($"round {round + 1}: {string.Join(", ", clients.Select((c, i) => $"{c.Name} {rates[round, i]:N0}/s"))}");
        }

        await app.StopAsync();

        Console.WriteLine();
        Console.WriteLine("| round | " + string.Join(" | ", clients.Select(c => c.Name + " (req/s)")) + " | default handler / no handler |");
        Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", clients.Length)) + " --- |");
        for (var round = 0; round < rounds; round++)
        {
            var row = Enumerable.Range(0, clients.Length).Select(i => rates[round, i].ToString("N0", CultureInfo.InvariantCulture));
            Console.WriteLine($"| {round + 1} | {string.Join(" | ", row)} | {rates[round, 3] / rates[round, 0]:0.000} |");
        }

        var means = Enumerable.Range(0, clients.Length).Select(i => Enumerable.Range(0, rounds).Average(r => rates[r, i])).ToArray();
        Console.WriteLine($"| mean | {string.Join(" | ", means.Select(m => m.ToString("N0", CultureInfo.InvariantCulture)))} | {means[3] / means[0]:0.000} |");
        Console.WriteLine($"| ratio to no handler | {string.Join(" | ", means.Select(m => (m / means[0]).ToString("0.000", CultureInfo.InvariantCulture)))} | |");
        Console.WriteLine();
        Console.WriteLine($"Requests the server saw: {total:N0}; with Authorization: {withToken:N0}; with X-Device-Id: {withDeviceId:N0}. Token-endpoint calls: {unusedTokenEndpoint.Calls}.");
        return 0;
    }

    private static async Task<double> MeasureAsync(HttpClient client, double seconds, int concurrency)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var counts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var uri = new Uri("v1/items", UriKind.Relative);
            long completed = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                using var response = await client.GetAsync(uri);
                response.EnsureSuccessStatusCode();
                completed++;
            }

            return completed;
        })));

        return counts.Sum() / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
