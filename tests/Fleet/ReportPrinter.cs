using System.Globalization;
using System.Text;

namespace AuthHandler.Fleet;

/// <summary>The report as text for the console.</summary>
internal static class ReportPrinter
{
    public static string Format(FleetReport r)
    {
        var text = new StringBuilder();
        void Line(string line) => text.AppendLine(CultureInfo.InvariantCulture, $"{line}");

        Line($"Fleet run: fault {r.Fault.Name}, {r.Processes} processes x {r.Loops} loops x {r.DurationSeconds:0} s on Redis, {r.TokenLifetimeSeconds:0} s tokens, grace {r.GraceSeconds:0.#} s, think {r.ThinkMilliseconds:0} ms");
        Line(r.Fault.Injected
            ? $"Fault:        at t={r.Fault.At:0.0} s (until {r.Fault.End:0.0} s): {r.Fault.Description}"
            : $"Fault:        {r.Fault.Description}");
        Line($"Calls:        {r.Calls} (ok {r.Ok}, failed {r.Failed} = {r.FailedPercent:0.##} %, cut at the end {r.Cut})");
        foreach (var reason in r.FailuresByReason)
        {
            Line($"  {reason.Count,7}  t={reason.FirstAt:0.0}..{reason.LastAt:0.0} s  {reason.Reason}");
        }

        var s = r.Server;
        Line($"Server:       refreshes {s.Refreshes}, reuses {s.Reuses}, revocations {s.Revocations}, grace replays {s.GraceReplays}, "
            + $"rejected after revocation {s.RejectedAfterRevocation}, unknown tokens {s.UnknownTokens}; API ok {s.ApiOk}, API 401 {s.ApiUnauthorized}");
        Line($"Sign-outs:    {r.SignOuts} ({r.ProcessesSignedOut} of {r.Processes} processes)");
        foreach (var reason in r.SignOutsByReason)
        {
            Line($"  {reason.Count,7}  t={reason.FirstAt:0.0}..{reason.LastAt:0.0} s  {reason.Reason}");
        }

        Line($"Max stall:    fleet {r.MaxStall.Seconds:0.0} s (from t={r.MaxStall.From:0.0} s); per process: "
            + string.Join(", ", r.PerProcess.Select(p => $"w{p.Index} {p.MaxStall.Seconds:0.0}{(p.Killed ? " (killed)" : string.Empty)}")));
        Line($"Recovery:     {(r.RecoverySeconds is { } recovery ? $"{recovery:0.0} s after the fault" : "none")}; {r.RecoveryNote}");
        Line($"Store at end: {(r.Store.HoldsNewest ? "holds the newest tokens" : "does NOT hold the newest tokens")}: {r.Store.Note}");
        Line("Per process:  index calls ok failed refreshes sign-outs max-stall(from) max-call recovery state");
        foreach (var p in r.PerProcess)
        {
            Line($"  {p.Index,11} {p.Calls,5} {p.Ok,5} {p.Failed,6} {p.Refreshes,9} {p.SignOuts,9} {p.MaxStall.Seconds,6:0.0}({p.MaxStall.From:0.0}) {p.MaxCallSeconds,8:0.0} {(p.RecoverySeconds is { } pr ? pr.ToString("0.0", CultureInfo.InvariantCulture) : "-"),8} {p.FinalState}");
        }

        if (r.ServerEvents.Count > 0)
        {
            Line("Server events: " + string.Join("; ", r.ServerEvents.Take(12).Select(e => $"t={e.At:0.0} {e.Kind} w{e.Worker} gen {e.Generation}"))
                + (r.ServerEvents.Count > 12 ? $"; … {r.ServerEvents.Count - 12} more" : string.Empty));
        }

        Line("Goals (issue 14):");
        foreach (var goal in r.Goals)
        {
            Line($"  [{(goal.Met ? "met" : "MISSED"),6}] {goal.Goal}: {goal.Measured}");
        }

        return text.ToString();
    }
}
