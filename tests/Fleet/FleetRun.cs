using System.Text.Json;

namespace AuthHandler.Fleet;

/// <summary>
/// One run: redis-server, the authorization server, the seeded sign-in, the workers, the fault,
/// and the check of the store at the end. Everything it starts is gone when it returns, and so is
/// its temporary directory.
/// </summary>
internal static class FleetRun
{
    /// <summary>How long after the run a worker may take to cut its calls, report and exit.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(30);

    public static async Task<FleetReport> RunAsync(FleetSettings settings, CancellationToken cancellationToken)
    {
        var temp = Directory.CreateTempSubdirectory("authhandler-fleet-").FullName;
        var workers = new List<WorkerProcess>();
        try
        {
            await using var redis = await RedisProcess.StartAsync(Path.Combine(temp, "redis"));
            await using var server = await AuthorizationServer.StartAsync(new GrantLedger(settings.TokenLifetime, settings.Grace), settings.Hold);
            var keys = Path.Combine(temp, "keys");
            await FleetServices.CreateKeyRingAsync(keys);
            Console.WriteLine($"Fleet: redis-server on {redis.Configuration}, authorization server and API on {server.BaseAddress}, temp {temp}");

            // The sign-in the fleet shares, stored the way an application stores tokens from elsewhere.
            await using var observer = FleetServices.Build(redis.Configuration, server.BaseAddress, keys, Path.Combine(temp, "observer"), "observer");
            var initial = server.Ledger.Current;
            await FleetServices.Session(observer).SetTokensAsync(
                new TokenSet(initial.AccessToken, initial.ExpiresAt) { RefreshToken = initial.RefreshToken, IssuedAt = DateTimeOffset.UtcNow },
                cancellationToken);

            for (var i = 0; i < settings.Processes; i++)
            {
                workers.Add(WorkerProcess.Start(new WorkerSettings(i, redis.Configuration, server.BaseAddress, keys, Path.Combine(temp, "worker-" + i), settings.Loops, settings.Duration, settings.ThinkTime)));
            }

            await Task.WhenAll(workers.Select(w => w.Ready)).WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
            var loadStart = WorkerLine.Now();
            await Task.WhenAll(workers.Select(w => w.GoAsync()));
            Console.WriteLine($"  {settings.Processes} workers started; load for {settings.Duration.TotalSeconds:0} s, fault {FleetSettings.Name(settings.Fault)} at t={settings.FaultAt.TotalSeconds:0} s");

            var injecting = FaultInjector.RunAsync(settings, loadStart, server, redis, workers, cancellationToken);
            await Task.WhenAll(workers.Select(w => w.WaitForExitAsync(settings.Duration + ExitGrace))).WaitAsync(cancellationToken);
            var fault = await injecting;
            Console.WriteLine($"  workers done; fault: {fault.Description}");

            var store = await CheckStoreAsync(observer, server.Ledger, cancellationToken);
            return FleetAnalysis.Analyze(settings, loadStart, workers, server, fault, store);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            Directory.Delete(temp, recursive: true);
        }
    }

    public static async Task WriteAsync(FleetReport report, string path)
    {
        var context = new FleetJsonContext(new JsonSerializerOptions(FleetJsonContext.Default.Options) { WriteIndented = true });
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, report, context.FleetReport);
    }

    /// <summary>Reads the store as any instance would, and compares its refresh token with the server's newest (never printing either).</summary>
    private static async Task<StoreCheck> CheckStoreAsync(IServiceProvider observer, GrantLedger ledger, CancellationToken cancellationToken)
    {
        var newest = ledger.Current;
        var revoked = ledger.Revoked;
        TokenSet? stored;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            stored = await FleetServices.Store(observer).GetAsync(FleetServices.Session(observer).StoreKey, timeout.Token);
        }
        catch (TokenStoreException ex)
        {
            return new StoreCheck(false, null, newest.Generation, revoked, "the store could not be read: " + ex.Message);
        }

        if (stored is null)
        {
            return new StoreCheck(false, null, newest.Generation, revoked, $"the store is empty (the newest refresh token is generation {newest.Generation})");
        }

        var generation = ledger.GenerationOf(stored.RefreshToken);
        var holdsNewest = stored.RefreshToken == newest.RefreshToken && !revoked;
        var note = generation is null ? "the stored refresh token is not one the server issued"
            : $"stored refresh token generation {generation}, newest {newest.Generation}"
                + (stored.RefreshToken != newest.RefreshToken ? " (the stored one is spent)" : string.Empty)
                + (revoked ? "; the grant is revoked" : string.Empty);
        return new StoreCheck(holdsNewest, generation, newest.Generation, revoked, note);
    }
}
