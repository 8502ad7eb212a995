using System.Text.Json.Serialization;

namespace AuthHandler.Fleet;

/// <summary>One run's figures: what the report prints and what <c>--out</c> writes as JSON.</summary>
internal sealed record FleetReport
{
    public required int Processes { get; init; }

    public required int Loops { get; init; }

    public required double DurationSeconds { get; init; }

    public required double TokenLifetimeSeconds { get; init; }

    public required double GraceSeconds { get; init; }

    public required double ThinkMilliseconds { get; init; }

    public required FaultSummary Fault { get; init; }

    public required int Calls { get; init; }

    public required int Ok { get; init; }

    /// <summary>Calls that did not succeed, cut calls excluded.</summary>
    public required int Failed { get; init; }

    /// <summary>Calls still running 10 s after the run ended, cancelled by the worker.</summary>
    public required int Cut { get; init; }

    public required double FailedPercent { get; init; }

    public required IReadOnlyList<ReasonCount> FailuresByReason { get; init; }

    public required ServerCounts Server { get; init; }

    public required int SignOuts { get; init; }

    public required int ProcessesSignedOut { get; init; }

    public required IReadOnlyList<ReasonCount> SignOutsByReason { get; init; }

    /// <summary>The longest gap between two successful calls anywhere in the fleet.</summary>
    public required StallReport MaxStall { get; init; }

    /// <summary>From the fault until the last surviving process is back to successful calls; null: not recovered (or no fault).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required double? RecoverySeconds { get; init; }

    public required string RecoveryNote { get; init; }

    public required StoreCheck Store { get; init; }

    public required IReadOnlyList<ProcessReport> PerProcess { get; init; }

    public required IReadOnlyList<TimelineEvent> ServerEvents { get; init; }

    public required IReadOnlyList<GoalResult> Goals { get; init; }
}
