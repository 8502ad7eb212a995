namespace AuthHandler.Fleet;

/// <summary>The injected fault on the run's clock (s after the load started).</summary>
internal sealed record FaultSummary(string Name, bool Injected, string Description, double At, double End, int? KilledWorker);
