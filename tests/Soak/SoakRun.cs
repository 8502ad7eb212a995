using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Soak;

/// <summary>One soak run: the server, the client with the auth handler, the callers and the samples.</summary>
internal static class SoakRun
{
    private const string ClientName = "api";

    public static async Task<SoakResult> RunAsync(SoakSettings settings)
    {
        await using var server = await FakeAuthorizationServer.StartAsync(settings.TokenLifetime, settings.FaultRate, settings.Seed);
        var storage = Path.Combine(Path.GetTempPath(), "authhandler-soak-" + Guid.NewGuid().ToString("N"));
        var events = new EventCounter();
        var callers = new CallerStatistics();
        var samples = new List<TimelineRow>();
        long refreshedEvents = 0;
        var signals = new List<SignInRequiredReason>();

        Console.WriteLine($"Soak: Kestrel on {server.BaseAddress}, {settings.Callers} callers for {settings.Duration.TotalSeconds:0} s, "
            + $"{settings.TokenLifetime.TotalSeconds:0} s tokens, {settings.FaultRate:P0} injected 503s on the token endpoint (seed {settings.Seed}).");

        ServiceProvider? provider = BuildClient(settings, server.BaseAddress, storage, events);
        try
        {
            var session = provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
            session.Refreshed += (_, _) => Interlocked.Increment(ref refreshedEvents);
            session.SignInRequired += (_, args) =>
            {
                lock (signals)
                {
                    signals.Add(args.Reason);
                }
            };

            // What a device sign-in would have stored.
            var (accessToken, refreshToken) = server.IssueInitialGrant();
            var now = DateTimeOffset.UtcNow;
            await session.SetTokensAsync(new TokenSet(accessToken, now + settings.TokenLifetime) { RefreshToken = refreshToken, IssuedAt = now });

            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
            var clock = Stopwatch.StartNew();
            samples.Add(Row("before load", clock.Elapsed, server, callers));

            using var stop = new CancellationTokenSource();
            var running = Enumerable.Range(0, settings.Callers)
                .Select(_ => Task.Run(() => CallAsync(client, settings.ThinkTime, callers, stop.Token)))
                .ToArray();

            foreach (var (at, label) in SampleSchedule(settings))
            {
                var wait = at - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                samples.Add(Row(label, clock.Elapsed, server, callers));
                Console.WriteLine(Report.TimelineLine(samples[^1]));
            }

            await stop.CancelAsync();
            await Task.WhenAll(running);
            var elapsed = clock.Elapsed;
            var result = new SoakResult
            {
                Elapsed = elapsed,
                Callers = callers,
                Events = events,
                TokenCalls = server.TokenCalls,
                InjectedFaults = server.InjectedFaults,
                ServerRefreshes = server.Refreshed,
                ReusedRefreshTokens = server.ReusedRefreshTokens,
                BadRefreshTokens = server.BadRefreshTokens,
                ApiAccepted = server.ApiAccepted,
                ApiExpired = server.ApiExpired,
                ApiInvalid = server.ApiInvalid,
                RefreshedEvents = Interlocked.Read(ref refreshedEvents),
                Signals = [.. signals],
                Samples = samples,
                EffectiveRefreshWindow = EffectiveWindow(settings),
            };

            // Idle: the app stops calling but keeps its client. The connection pool closes idle
            // connections after PooledConnectionIdleTimeout (1 min by default); a socket still
            // open after that is held by something else.
            Console.WriteLine($"  callers stopped; idle for {settings.Idle.TotalSeconds:0} s");
            await Task.Delay(settings.Idle);
            samples.Add(Row(SoakResult.IdleLabel, clock.Elapsed, server, callers));
            Console.WriteLine(Report.TimelineLine(samples[^1]));

            // Then the client (handlers, pools, session) goes away with its service provider.
            await provider.DisposeAsync();
            provider = null;
            await Task.Delay(TimeSpan.FromSeconds(2));
            samples.Add(Row(SoakResult.DisposedLabel, clock.Elapsed, server, callers));
            Console.WriteLine(Report.TimelineLine(samples[^1]));
            return result;
        }
        finally
        {
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }

            try
            {
                Directory.Delete(storage, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private static ServiceProvider BuildClient(SoakSettings settings, Uri baseAddress, string storage, EventCounter events)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(events);
        });
        services.AddHttpClient(ClientName, c => c.BaseAddress = baseAddress)
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = baseAddress.GetLeftPart(UriPartial.Authority);
                o.ClientId = "soak";
                o.TokenEndpoint = new Uri(baseAddress, FakeAuthorizationServer.TokenPath);

                // The default store: owner-only files and the cross-process lock file, here.
                o.StorageDirectory = storage;
                o.RefreshWindow = settings.RefreshWindow;
                o.ExpirySkew = settings.ExpirySkew;
                o.RefreshRetryDelay = settings.RefreshRetryDelay;
                o.BackchannelMaxRetryAttempts = settings.BackchannelRetries;
            });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>One caller: calls the API until told to stop, and never lets a call be cut short by the stop.</summary>
    private static async Task CallAsync(HttpClient client, TimeSpan thinkTime, CallerStatistics statistics, CancellationToken stop)
    {
        var uri = new Uri(FakeAuthorizationServer.ApiPath, UriKind.Relative);
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.GetAsync(uri, CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    statistics.RecordOk(Stopwatch.GetElapsedTime(started));
                }
                else if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    statistics.RecordUnauthorized(response.ReasonPhrase);
                }
                else
                {
                    statistics.RecordOtherStatus((int)response.StatusCode);
                }
            }
            catch (TokenEndpointException ex) when (ex.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                statistics.RecordInjectedFault();
            }
            catch (Exception ex)
            {
                statistics.RecordUnexplained(ex);
            }

            if (thinkTime > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(thinkTime, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>After the warm-up, every sampling interval, the middle, and the end (still under load).</summary>
    private static List<(TimeSpan At, string Label)> SampleSchedule(SoakSettings settings)
    {
        var middle = settings.Duration / 2;
        var schedule = new SortedDictionary<TimeSpan, string>
        {
            [settings.WarmUp] = "start (after warm-up)",
        };
        for (var at = settings.SampleEvery; at < settings.Duration; at += settings.SampleEvery)
        {
            if (at > settings.WarmUp)
            {
                schedule.TryAdd(at, $"t = {at.TotalSeconds:0} s");
            }
        }

        schedule[middle] = "middle";
        schedule[settings.Duration] = "end (under load)";
        return [.. schedule.Select(kv => (kv.Key, kv.Value))];
    }

    private static TimelineRow Row(string label, TimeSpan at, FakeAuthorizationServer server, CallerStatistics callers) =>
        new(ProcessSample.Take(label, at, server.Port), callers.Ok, callers.Failed, callers.InjectedFaultFailures, server.Refreshed, server.InjectedFaults, server.ApiExpired);

    /// <summary>As the session computes it: the smaller of the option and half the lifetime.</summary>
    private static TimeSpan EffectiveWindow(SoakSettings settings) =>
        settings.RefreshWindow < settings.TokenLifetime / 2 ? settings.RefreshWindow : settings.TokenLifetime / 2;
}

/// <summary>A process sample with the counters at the same moment.</summary>
internal sealed record TimelineRow(ProcessSample Sample, long Ok, long Failed, long InjectedFaultFailures, long Refreshes, long InjectedFaults, long ApiExpired);
