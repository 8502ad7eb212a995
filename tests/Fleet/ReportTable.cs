using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AuthHandler.Fleet;

/// <summary>
/// <c>table FILE…</c>: one Markdown row per JSON report, for the figures of a note or a doc
/// (run it on the BEFORE and the AFTER reports to compare).
/// </summary>
internal static class ReportTable
{
    public const string Mode = "table";

    public static async Task<int> PrintAsync(IEnumerable<string> paths)
    {
        var text = new StringBuilder();
        text.AppendLine("| fault | calls | failed | refreshes | reuses | revocations | sign-outs (processes) | max stall fleet / worst process | recovery | store newest at end |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var path in paths)
        {
            await using var file = File.OpenRead(path);
            var r = await JsonSerializer.DeserializeAsync(file, FleetJsonContext.Default.FleetReport)
                ?? throw new InvalidDataException($"{path} holds no report.");
            var worst = r.PerProcess.Where(p => !p.Killed).Select(p => p.MaxStall.Seconds).DefaultIfEmpty(0).Max();
            var grace = r.GraceSeconds > 0 ? $" (grace {r.GraceSeconds:0.#} s)" : string.Empty;
            var recovery = r.RecoverySeconds is { } seconds ? $"{seconds:0.0} s" : r.Fault.Injected ? "not recovered" : "–";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Fault.Name}{grace}{(r.Fault.Injected || r.Fault.Name == "none" ? string.Empty : " (NOT injected)")} | {r.Calls} | {r.Failed} ({r.FailedPercent:0.##} %) | {r.Server.Refreshes} | {r.Server.Reuses} | {r.Server.Revocations} "
                + $"| {r.SignOuts} ({r.ProcessesSignedOut}/{r.Processes}) | {r.MaxStall.Seconds:0.0} s / {worst:0.0} s | {recovery} | {(r.Store.HoldsNewest ? "yes" : "no: " + r.Store.Note)} |");
        }

        Console.Write(text.ToString());
        return 0;
    }
}
