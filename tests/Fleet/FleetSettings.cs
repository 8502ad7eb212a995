using System.Globalization;

namespace AuthHandler.Fleet;

/// <summary>The run's parameters, from <c>--name value</c> pairs on the command line.</summary>
internal sealed record FleetSettings
{
    public FleetFault Fault { get; init; } = FleetFault.None;

    public int Processes { get; init; } = 8;

    /// <summary>Concurrent call loops in each process.</summary>
    public int Loops { get; init; } = 8;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The access-token lifetime the token endpoint grants (whole seconds: <c>expires_in</c> is an integer).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a spent refresh token still gets its successor back instead of revoking the grant (0: strict reuse detection).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.Zero;

    /// <summary>When the fault is injected, after the load starts.</summary>
    public TimeSpan FaultAt { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long redis-server stays frozen (<see cref="FleetFault.RedisOutage"/>) or down (<see cref="FleetFault.RedisDown"/>).</summary>
    public TimeSpan OutageLength { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the token endpoint holds the refresh that the kill faults target (the kill comes at once; this is the bound).</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Pause of each loop between two calls, so that nine processes on two cores leave time for timers and Redis.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where the JSON report goes (none when null).</summary>
    public string? OutputPath { get; init; }

    public static string Usage =>
        """
        usage: AuthHandler.Fleet --fault none|lost-response|kill-holder|kill-before-write|redis-outage|redis-down|redis-restart
                                 [--processes 8] [--loops 8] [--duration 60] [--token-lifetime 3] [--grace 0]
                                 [--fault-at 20] [--outage 5] [--hold 2] [--think-ms 100] [--out report.json]
        Durations without a unit are seconds.
        """;

    public static FleetSettings Parse(string[] args)
    {
        var settings = new FleetSettings();
        var faultGiven = false;
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }

            var value = args[i + 1];
            faultGiven |= args[i] == "--fault";
            settings = args[i] switch
            {
                "--fault" => settings with { Fault = ParseFault(value) },
                "--processes" => settings with { Processes = int.Parse(value, CultureInfo.InvariantCulture) },
                "--loops" => settings with { Loops = int.Parse(value, CultureInfo.InvariantCulture) },
                "--duration" => settings with { Duration = Seconds(value) },
                "--token-lifetime" => settings with { TokenLifetime = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)) },
                "--grace" => settings with { Grace = Seconds(value) },
                "--fault-at" => settings with { FaultAt = Seconds(value) },
                "--outage" => settings with { OutageLength = Seconds(value) },
                "--hold" => settings with { Hold = Seconds(value) },
                "--think-ms" => settings with { ThinkTime = TimeSpan.FromMilliseconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                "--out" => settings with { OutputPath = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        if (!faultGiven)
        {
            throw new ArgumentException("--fault is required.");
        }

        if (settings.Processes < 1 || settings.Loops < 1 || settings.TokenLifetime <= TimeSpan.Zero || settings.Grace < TimeSpan.Zero
            || settings.ThinkTime < TimeSpan.Zero || settings.Hold <= TimeSpan.Zero || settings.OutageLength <= TimeSpan.Zero)
        {
            throw new ArgumentException("Processes, loops, lifetime, hold and outage must be positive; grace and think time not negative.");
        }

        if (settings.Fault != FleetFault.None && settings.FaultAt >= settings.Duration)
        {
            throw new ArgumentException("The fault must come before the end of the run (--fault-at < --duration).");
        }

        return settings;
    }

    /// <summary>The command-line spelling of a fault (<c>kill-before-write</c>).</summary>
    public static string Name(FleetFault fault) => fault switch
    {
        FleetFault.None => "none",
        FleetFault.LostResponse => "lost-response",
        FleetFault.KillHolder => "kill-holder",
        FleetFault.KillBeforeWrite => "kill-before-write",
        FleetFault.RedisOutage => "redis-outage",
        FleetFault.RedisDown => "redis-down",
        FleetFault.RedisRestart => "redis-restart",
        _ => fault.ToString(),
    };

    private static FleetFault ParseFault(string value)
    {
        foreach (var fault in Enum.GetValues<FleetFault>())
        {
            if (Name(fault) == value)
            {
                return fault;
            }
        }

        throw new ArgumentException($"Unknown fault {value}.");
    }

    private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture));
}
