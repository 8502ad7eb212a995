using System.Globalization;

namespace AuthHandler.Soak;

/// <summary>The run's parameters, from <c>--name value</c> pairs on the command line.</summary>
internal sealed record SoakSettings
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(600);

    public int Callers { get; init; } = 64;

    /// <summary>The access-token lifetime the token endpoint grants (whole seconds: <c>expires_in</c> is an integer).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The share of token-endpoint calls answered with an injected 503.</summary>
    public double FaultRate { get; init; } = 0.05;

    public int Seed { get; init; } = 7;

    /// <summary>Pause of each caller between two calls; 0 calls back to back.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan RefreshWindow { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ExpirySkew { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>After a failed background refresh; the library's 30 s default is 15 token lifetimes here.</summary>
    public TimeSpan RefreshRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The library's default: a refresh answered 503 is retried twice (1 s, then 2 s, with jitter).</summary>
    public int BackchannelRetries { get; init; } = 2;

    public TimeSpan SampleEvery { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the client idles after the load before the socket count is taken: past the pool's 1 min idle timeout.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(90);

    public static string Usage =>
        """
        usage: AuthHandler.Soak [--duration 600] [--callers 64] [--lifetime 2] [--fault-rate 0.05]
                                [--seed 7] [--think-ms 5] [--refresh-window-ms 1000] [--skew-ms 200]
                                [--retry-delay-ms 250] [--retries 2] [--sample-every 60] [--warm-up 10] [--idle 90]
        Durations without a unit are seconds.
        """;

    public static SoakSettings Parse(string[] args)
    {
        var settings = new SoakSettings();
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            var value = args[i + 1];
            settings = args[i] switch
            {
                "--duration" => settings with { Duration = Seconds(value) },
                "--callers" => settings with { Callers = int.Parse(value, CultureInfo.InvariantCulture) },
                "--lifetime" => settings with { TokenLifetime = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)) },
                "--fault-rate" => settings with { FaultRate = double.Parse(value, CultureInfo.InvariantCulture) },
                "--seed" => settings with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--think-ms" => settings with { ThinkTime = Milliseconds(value) },
                "--refresh-window-ms" => settings with { RefreshWindow = Milliseconds(value) },
                "--skew-ms" => settings with { ExpirySkew = Milliseconds(value) },
                "--retry-delay-ms" => settings with { RefreshRetryDelay = Milliseconds(value) },
                "--retries" => settings with { BackchannelRetries = int.Parse(value, CultureInfo.InvariantCulture) },
                "--sample-every" => settings with { SampleEvery = Seconds(value) },
                "--warm-up" => settings with { WarmUp = Seconds(value) },
                "--idle" => settings with { Idle = Seconds(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        if (settings.Callers < 1 || settings.TokenLifetime <= TimeSpan.Zero || settings.FaultRate is < 0 or > 1 || settings.Duration <= settings.WarmUp)
        {
            throw new ArgumentException("Callers and lifetime must be positive, the fault rate within [0, 1], the duration longer than the warm-up.");
        }

        return settings;
    }

    private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture));

    private static TimeSpan Milliseconds(string value) => TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture));
}
