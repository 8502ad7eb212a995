namespace AuthHandler.Fleet;

/// <summary>Injects the run's one fault at <see cref="FleetSettings.FaultAt"/> after the load starts.</summary>
internal static class FaultInjector
{
    /// <summary>How long an armed token-endpoint fault waits for a refresh to come by (a 3 s token is refreshed every ~1.5 s).</summary>
    private static readonly TimeSpan ArmedFor = TimeSpan.FromSeconds(15);

    public static async Task<FaultRecord> RunAsync(
        FleetSettings settings,
        long loadStart,
        AuthorizationServer server,
        RedisProcess redis,
        IReadOnlyList<WorkerProcess> workers,
        CancellationToken cancellationToken)
    {
        if (settings.Fault == FleetFault.None)
        {
            return FaultRecord.None;
        }

        var wait = TimeSpan.FromMilliseconds(loadStart + (long)settings.FaultAt.TotalMilliseconds - WorkerLine.Now());
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        var start = WorkerLine.Now();
        switch (settings.Fault)
        {
            case FleetFault.RedisOutage:
                await redis.PauseAsync();
                await Task.Delay(settings.OutageLength, cancellationToken);
                await redis.ResumeAsync();
                return new FaultRecord(true, start, WorkerLine.Now(), $"redis-server frozen (SIGSTOP) for {settings.OutageLength.TotalSeconds:0.#} s, then resumed (SIGCONT) with its data");

            case FleetFault.RedisDown:
                await redis.StopAsync(keepData: true);
                await Task.Delay(settings.OutageLength, cancellationToken);
                await redis.StartAgainAsync();
                return new FaultRecord(true, start, WorkerLine.Now(), $"redis-server saved and killed: connections refused for {settings.OutageLength.TotalSeconds:0.#} s, then started again on the same port with its data");

            case FleetFault.RedisRestart:
                await redis.StopAsync(keepData: false);
                await redis.StartAgainAsync();
                return new FaultRecord(true, start, WorkerLine.Now(), "redis-server killed (SIGKILL) and started again on the same port without persistence: the store is empty");

            case FleetFault.LostResponse:
                var lost = await ArmedAsync(server, RefreshFault.LoseResponse, cancellationToken);
                return lost is null
                    ? NotInjected(start)
                    : new FaultRecord(true, lost.Value.At, lost.Value.At, $"the token endpoint rotated worker {lost.Value.Worker}'s refresh, then reset the connection instead of answering");

            case FleetFault.KillHolder or FleetFault.KillBeforeWrite:
                var kind = settings.Fault == FleetFault.KillHolder ? RefreshFault.HoldBeforeRedeem : RefreshFault.HoldAfterRedeem;
                var held = await ArmedAsync(server, kind, cancellationToken);
                if (held is null)
                {
                    return NotInjected(start);
                }

                if (!int.TryParse(held.Value.Worker, System.Globalization.CultureInfo.InvariantCulture, out var index) || index < 0 || index >= workers.Count)
                {
                    return new FaultRecord(false, held.Value.At, held.Value.At, $"the held refresh named no worker ({AuthorizationServer.WorkerHeader}: '{held.Value.Worker}'): nobody killed");
                }

                var victim = workers[index];
                victim.Kill();
                var what = kind == RefreshFault.HoldBeforeRedeem
                    ? "while its refresh was held at the token endpoint, before the server redeemed it"
                    : "after the server had redeemed and rotated its refresh token, before the answer reached it (so before its store write)";
                return new FaultRecord(true, held.Value.At, victim.KilledAt!.Value, $"worker {victim.Index} (pid {victim.Pid}), holding the refresh lock, killed (SIGKILL) {what}", victim.Index);

            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Fault, "No injection for this fault.");
        }
    }

    private static async Task<(string Worker, long At)?> ArmedAsync(AuthorizationServer server, RefreshFault kind, CancellationToken cancellationToken)
    {
        try
        {
            return await server.Arm(kind).WaitAsync(ArmedFor, cancellationToken);
        }
        catch (TimeoutException)
        {
            server.Disarm();
            return null;
        }
    }

    private static FaultRecord NotInjected(long start) =>
        new(false, start, start, $"armed at the token endpoint, but no refresh came within {ArmedFor.TotalSeconds:0} s: not injected");
}
