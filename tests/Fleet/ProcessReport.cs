using System.Text.Json.Serialization;

namespace AuthHandler.Fleet;

/// <summary>One worker's figures. A killed worker's stall is measured up to its death.</summary>
internal sealed record ProcessReport(
    int Index,
    int Calls,
    int Ok,
    int Failed,
    int Refreshes,
    int SignOuts,
    StallReport MaxStall,
    double MaxCallSeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? RecoverySeconds,
    bool Killed,
    string FinalState);
