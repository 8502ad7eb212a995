namespace AuthHandler.Soak;

/// <summary>Everything a soak run measured, and the checks of issue 7 computed from it.</summary>
internal sealed class SoakResult
{
    // The library's log event ids (src/AuthHandler/Diagnostics/Internal/Log.cs).
    public const int RefreshFailedEvent = 4;
    public const int RetriedAfter401Event = 8;
    public const int UsingCurrentTokenEvent = 11;
    public const int JoinedRefreshEvent = 14;

    // "No growth": the heap under load at the end may exceed the one after warm-up by this much.
    private const double HeapGrowthAllowed = 0.20;
    private const long HeapSlackBytes = 2 * 1024 * 1024;

    public required TimeSpan Elapsed { get; init; }

    public required CallerStatistics Callers { get; init; }

    public required EventCounter Events { get; init; }

    public required long TokenCalls { get; init; }

    public required long InjectedFaults { get; init; }

    public required long ServerRefreshes { get; init; }

    public required long ReusedRefreshTokens { get; init; }

    public required long BadRefreshTokens { get; init; }

    public required long ApiAccepted { get; init; }

    public required long ApiExpired { get; init; }

    public required long ApiInvalid { get; init; }

    public required long RefreshedEvents { get; init; }

    public required IReadOnlyList<SignInRequiredReason> Signals { get; init; }

    /// <summary>Filled in to the end, including the sample after the drain.</summary>
    public required List<TimelineRow> Samples { get; init; }

    public required TimeSpan EffectiveRefreshWindow { get; init; }

    public ProcessSample BeforeLoad => Samples.First(s => s.Sample.Label == "before load").Sample;

    public ProcessSample Start => Samples.First(s => s.Sample.Label.StartsWith("start", StringComparison.Ordinal)).Sample;

    public ProcessSample Middle => Samples.First(s => s.Sample.Label == "middle").Sample;

    public ProcessSample End => Samples.First(s => s.Sample.Label.StartsWith("end", StringComparison.Ordinal)).Sample;

    public const string IdleLabel = "idle after the load";
    public const string DisposedLabel = "client disposed";

    public ProcessSample? Idle => Samples.FirstOrDefault(s => s.Sample.Label == IdleLabel)?.Sample;

    /// <summary>Failed calls that no injected fault explains: other exceptions, and every status other than 2xx.</summary>
    public long FailuresNotInjected => Callers.UnexplainedFailures + Callers.OtherStatus + Callers.Unauthorized;

    public IEnumerable<(string Check, bool Passed, string Detail)> Checks(SoakSettings settings)
    {
        yield return ("0 failed calls not caused by an injected fault", FailuresNotInjected == 0, $"{FailuresNotInjected}");
        yield return ("0 401s reached a caller", Callers.Unauthorized == 0, $"{Callers.Unauthorized}");
        yield return ("no refresh token used twice, no unknown one", ReusedRefreshTokens == 0 && BadRefreshTokens == 0, $"reused {ReusedRefreshTokens}, unknown {BadRefreshTokens}");
        yield return ("no sign-in-required signal (never signed out)", Signals.Count == 0, $"{Signals.Count}");

        var period = settings.TokenLifetime - EffectiveRefreshWindow;
        var expected = Elapsed / period;
        var ratio = ServerRefreshes / expected;
        yield return ("one refresh per token (refreshes ≈ elapsed / (lifetime − window))", ratio is > 0.75 and < 1.05, $"{ServerRefreshes} vs {expected:0}: {ratio:0.00}");

        var heapLimit = (long)(Start.GcHeapBytes * (1 + HeapGrowthAllowed)) + HeapSlackBytes;
        yield return ("no heap growth (end ≤ start + 20 % + 2 MB)", End.GcHeapBytes <= heapLimit, $"{Report.Mb(Start.GcHeapBytes)} → {Report.Mb(End.GcHeapBytes)} MB");

        var idle = Idle;
        yield return ("no leaked sockets (idle after the load ≤ before load)", idle is not null && idle.Sockets <= BeforeLoad.Sockets && idle.TcpEstablished <= BeforeLoad.TcpEstablished,
            $"sockets {BeforeLoad.Sockets} → {idle?.Sockets}, established {BeforeLoad.TcpEstablished} → {idle?.TcpEstablished}");
        yield return ("no socket growth under load (end ≤ start + 8)", End.Sockets <= Start.Sockets + 8, $"{Start.Sockets} → {End.Sockets}");
        yield return ("no file handle growth (end ≤ start + 2)", End.Files <= Start.Files + 2, $"{Start.Files} → {End.Files}");
    }

    /// <summary>Set by <see cref="Report.Print"/> once the checks ran.</summary>
    public bool Passed { get; set; }
}
