namespace AuthHandler.Fleet;

/// <summary>Turns the workers' call lines, the server's counters and the fault record into a <see cref="FleetReport"/>.</summary>
internal static class FleetAnalysis
{
    /// <summary>A successful call this slow (waiting for a lock or a store) still counts as disrupted for recovery.</summary>
    public static readonly TimeSpan SlowCall = TimeSpan.FromSeconds(1);

    /// <summary>A disruption that begins later than this after the fault is not the fault's.</summary>
    public static readonly TimeSpan EffectWithin = TimeSpan.FromSeconds(10);

    /// <summary>Disrupted calls closer together than this are one disruption.</summary>
    public static readonly TimeSpan DisruptionGap = TimeSpan.FromSeconds(5);

    public static FleetReport Analyze(FleetSettings settings, long loadStart, IReadOnlyList<WorkerProcess> workers, AuthorizationServer server, FaultRecord fault, StoreCheck store)
    {
        var loadEnd = loadStart + (long)settings.Duration.TotalMilliseconds;
        double At(long unixMs) => Math.Round((unixMs - loadStart) / 1000.0, 1);

        var calls = workers.SelectMany(w => Calls(w)).ToList();
        var failed = calls.Where(IsFailure).ToList();
        var signOuts = workers.SelectMany(w => w.Lines.Where(l => l.Kind == "sign-out")).ToList();
        var processes = workers.Select(w => Process(w, loadStart, loadEnd, fault, At)).ToList();
        var survivors = processes.Where(p => !p.Killed).ToList();
        var ledger = server.Ledger;
        var report = new FleetReport
        {
            Processes = settings.Processes,
            Loops = settings.Loops,
            DurationSeconds = settings.Duration.TotalSeconds,
            TokenLifetimeSeconds = settings.TokenLifetime.TotalSeconds,
            GraceSeconds = settings.Grace.TotalSeconds,
            ThinkMilliseconds = settings.ThinkTime.TotalMilliseconds,
            Fault = new FaultSummary(FleetSettings.Name(settings.Fault), fault.Injected, fault.Description, fault.Injected ? At(fault.Start) : 0, fault.Injected ? At(fault.End) : 0, fault.KilledWorker),
            Calls = calls.Count,
            Ok = calls.Count(c => c.Outcome == WorkerLine.Ok),
            Failed = failed.Count,
            Cut = calls.Count(c => c.Outcome == WorkerLine.Cut),
            FailedPercent = calls.Count == 0 ? 0 : Math.Round(100.0 * failed.Count / calls.Count, 2),
            FailuresByReason = Group(failed, c => c.Outcome!, At),
            Server = new ServerCounts(ledger.Refreshes, ledger.Reuses, ledger.Revoked ? 1 : 0, ledger.GraceReplays, ledger.RejectedAfterRevocation, ledger.UnknownTokens, server.ApiOk, server.ApiUnauthorized),
            SignOuts = signOuts.Count,
            ProcessesSignedOut = processes.Count(p => p.SignOuts > 0),
            SignOutsByReason = Group(signOuts, l => l.Error is null ? l.Outcome! : $"{l.Outcome} ({l.Error})", At),
            MaxStall = LongestGap(calls.Where(c => c.Outcome == WorkerLine.Ok).Select(c => c.At), loadStart, loadEnd, At),
            RecoverySeconds = !fault.Injected || survivors.Any(p => p.RecoverySeconds is null) ? null : survivors.Max(p => p.RecoverySeconds),
            RecoveryNote = RecoveryNote(fault, survivors),
            Store = store,
            PerProcess = processes,
            ServerEvents = [.. ledger.Events().Select(e => new TimelineEvent(At(e.At), e.Kind, e.Worker, e.Generation))],
            Goals = [],
        };
        return report with { Goals = Goals(settings.Fault, report, survivors) };
    }

    private static IEnumerable<WorkerLine> Calls(WorkerProcess worker) => worker.Lines.Where(l => l.Kind == "call");

    private static bool IsFailure(WorkerLine call) => call.Outcome is not (WorkerLine.Ok or WorkerLine.Cut);

    private static ProcessReport Process(WorkerProcess worker, long loadStart, long loadEnd, FaultRecord fault, Func<long, double> at)
    {
        var calls = Calls(worker).ToList();
        var ok = calls.Where(c => c.Outcome == WorkerLine.Ok).ToList();
        var end = Math.Min(loadEnd, worker.KilledAt ?? loadEnd);
        double? recovery = fault.Injected && worker.KilledAt is null && RecoveredAt(calls, fault.Start) is { } recovered ? Math.Round((recovered - fault.Start) / 1000.0, 1) : null;
        return new ProcessReport(
            worker.Index,
            calls.Count,
            ok.Count,
            calls.Count(IsFailure),
            worker.Lines.Count(l => l.Kind == "refreshed"),
            worker.Lines.Count(l => l.Kind == "sign-out"),
            LongestGap(ok.Select(c => c.At), loadStart, end, at),
            calls.Count == 0 ? 0 : Math.Round(calls.Max(c => c.At - c.Started) / 1000.0, 1),
            recovery,
            worker.KilledAt is not null,
            worker.KilledAt is not null ? "killed" : worker.Lines.LastOrDefault(l => l.Kind == "done")?.Outcome ?? "no done line");
    }

    /// <summary>
    /// When a process was back to normal after the fault. Its disruption is its failed calls and
    /// its calls slower than <see cref="SlowCall"/> (waits for a lock or a store), each as the span
    /// it ran, merged while the gaps stay under <see cref="DisruptionGap"/>, beginning within
    /// <see cref="EffectWithin"/> of the fault (a 2-core machine shows the odd slow call later on
    /// that the fault did not cause). Recovered: the end of the first successful call that ends
    /// after the disruption; null when none does (it failed to the end).
    /// </summary>
    private static long? RecoveredAt(List<WorkerLine> calls, long faultStart)
    {
        var disrupted = calls
            .Where(c => c.At >= faultStart && c.Outcome != WorkerLine.Cut && (IsFailure(c) || c.At - c.Started >= SlowCall.TotalMilliseconds))
            .Select(c => (Start: Math.Max(c.Started, faultStart), End: c.At))
            .OrderBy(span => span.Start)
            .ToList();
        if (disrupted.Count == 0 || disrupted[0].Start > faultStart + EffectWithin.TotalMilliseconds)
        {
            return faultStart;
        }

        var end = disrupted[0].End;
        foreach (var span in disrupted.Skip(1).TakeWhile(span => span.Start <= end + DisruptionGap.TotalMilliseconds))
        {
            end = Math.Max(end, span.End);
        }

        return calls.Where(c => c.Outcome == WorkerLine.Ok && c.At >= end).Select(c => (long?)c.At).Min();
    }

    /// <summary>The longest time in [<paramref name="from"/>, <paramref name="to"/>] without a successful call ending.</summary>
    private static StallReport LongestGap(IEnumerable<long> okTimes, long from, long to, Func<long, double> at)
    {
        var previous = from;
        var longest = (Length: 0L, Start: from);
        foreach (var time in okTimes.Where(t => t >= from && t <= to).Order().Append(to))
        {
            if (time - previous > longest.Length)
            {
                longest = (time - previous, previous);
            }

            previous = time;
        }

        return new StallReport(Math.Round(longest.Length / 1000.0, 1), at(longest.Start));
    }

    private static List<ReasonCount> Group(IEnumerable<WorkerLine> lines, Func<WorkerLine, string> reason, Func<long, double> at) =>
        [.. lines.GroupBy(reason)
            .Select(g => new ReasonCount(g.Key, g.Count(), at(g.Min(l => l.At)), at(g.Max(l => l.At))))
            .OrderByDescending(r => r.Count)];

    private static string RecoveryNote(FaultRecord fault, List<ProcessReport> survivors)
    {
        if (!fault.Injected)
        {
            return fault.Description;
        }

        var never = survivors.Where(p => p.RecoverySeconds is null).Select(p => p.Index).ToList();
        return never.Count == 0
            ? $"all {survivors.Count} surviving processes back to successful calls (disrupted: failed calls and calls ≥ {SlowCall.TotalSeconds:0} s, from within {EffectWithin.TotalSeconds:0} s of the fault, gaps < {DisruptionGap.TotalSeconds:0} s merged)"
            : $"{never.Count} of {survivors.Count} surviving processes failed to the end: {string.Join(", ", never)}";
    }

    private static List<GoalResult> Goals(FleetFault fault, FleetReport report, List<ProcessReport> survivors)
    {
        var window = fault == FleetFault.KillBeforeWrite ? " (outside the documented window)" : string.Empty;
        var goals = new List<GoalResult>
        {
            new("0 reuses" + window, report.Server.Reuses == 0, report.Server.Reuses.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("0 sign-outs" + window, report.SignOuts == 0, report.SignOuts.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("store holds the newest tokens at the end", report.Store.HoldsNewest, report.Store.Note),
        };
        if (fault == FleetFault.KillHolder)
        {
            var stall = survivors.Count == 0 ? 0 : survivors.Max(p => p.MaxStall.Seconds);
            goals.Add(new("≤ 10 s stall of any surviving process after the holder dies", stall <= 10, $"{stall:0.0} s"));
        }

        if (fault is FleetFault.RedisOutage or FleetFault.RedisDown)
        {
            goals.Add(new("≤ 1 % failed calls in a run with a 5 s Redis outage", report.FailedPercent <= 1, $"{report.FailedPercent:0.##} %"));
        }

        return goals;
    }
}
