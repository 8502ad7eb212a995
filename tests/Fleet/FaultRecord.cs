namespace AuthHandler.Fleet;

/// <summary>What the injector did, and when (Unix ms): <paramref name="Start"/> is where recovery is measured from.</summary>
/// <param name="Injected">False when the fault never found its moment (no refresh reached the token endpoint in time).</param>
/// <param name="KilledWorker">The worker killed by a kill fault.</param>
internal sealed record FaultRecord(bool Injected, long Start, long End, string Description, int? KilledWorker = null)
{
    public static readonly FaultRecord None = new(false, 0, 0, "no fault injected");
}
