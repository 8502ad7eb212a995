using System.Diagnostics;
using static AuthHandler.Tests.RotatingTokenEndpoint;

namespace AuthHandler.Tests.Redis;

/// <summary>
/// Instances of a fleet as separate OS processes sharing one real redis-server, one of which
/// holds the refresh lock and is killed (SIGKILL: no finally block, no lease release) while its
/// token request is held by the stand-in authorization server. The others run on the real clock,
/// as the fleet does, with the default 5 s lease; stalls are measured from the kill.
/// </summary>
public sealed class KilledHolderTests
{
    /// <summary>A dead holder costs the others at most this (issue 14): the lease, plus the wait for its write.</summary>
    private static readonly TimeSpan StallBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The least a dead holder costs: it renewed its 5 s lease every third of it, so at least
    /// two thirds were left when it died (less a little for the poll that sees it gone).
    /// </summary>
    private static readonly TimeSpan LeaseLeftAtLeast = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Refresh_HolderKilledWhileItsRequestWaitsBeforeTheRotation_NextInstanceWaitsOutLeaseAndMarkerThenRefreshesWithinTenSecondsNoSignOutNoReuse()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);
        var (reader, key) = await SeedExpiredAsync(host);
        var held = server.HoldNext(HoldPoint.BeforeRotation);
        var holder = host.StartChild(requests: 1);
        var next = host.StartChild(requests: 3);
        await ReadyAsync(holder, next);

        await holder.SendAsync("go");
        await held.WaitUntilReachedAsync();

        // The holder marked the tokens with its fence (the one after the seed's) before it asked the server.
        var admin = await host.AdminAsync();
        var holderFence = (long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", key));
        Assert.Equal(holderFence.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)await admin.StringGetAsync(RedisTestHost.KeyFor("redeeming", key)));
        Assert.Contains($"lock-acquired fence={holderFence}", holder.Output, StringComparison.Ordinal);
        await SendGoWhenPollingAsync(host, next);

        var killed = Stopwatch.GetTimestamp();
        holder.Kill();
        await next.Exited.WaitAsync(Patience, TestContext.Current.CancellationToken);
        var stall = Stopwatch.GetElapsedTime(killed, next.TimeOfLine("ok=") ?? throw new InvalidOperationException(next.Output));

        Assert.True(next.ExitCode == 0, next.Output);
        Assert.Contains("ok=3 failed=0", next.Output, StringComparison.Ordinal);
        Assert.Empty(next.Lines("sign-in-required"));
        Assert.Equal([$"lock-acquired fence={holderFence + 1}"], next.Lines("lock-acquired"));

        // It saw the dead holder's marker and gave it the wait a live one would have needed.
        Assert.Contains("log AuthHandler " + RedisTestHost.WaitingForEarlierRedemptionEvent, next.Lines("log"));
        Report(stall);
        Assert.InRange(stall, LeaseLeftAtLeast, StallBound);

        // The server never rotated the held presentation: the next one is the first use.
        Assert.Equal([RefreshToken(1) + ":NotProcessed", RefreshToken(1) + ":Rotated"], server.Presentations.Select(p => p.ToString()));
        Assert.Equal(0, server.Reuses);
        Assert.False(server.Revoked);
        await host.AssertStoredAsync(reader, generation: 2);
    }

    [Fact]
    public async Task Refresh_HolderKilledAfterTheServerRotatedWithReuseGraceWindow_NextHolderPresentsSameTokenGetsSameSuccessorBothSurvivorsWorkWithinTenSecondsOneRotation()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp, reuseGrace: TimeSpan.FromSeconds(60));
        var (reader, key) = await SeedExpiredAsync(host);
        var held = server.HoldNext(HoldPoint.AfterRotation);
        var holder = host.StartChild(requests: 1);
        var survivors = new[] { host.StartChild(requests: 3), host.StartChild(requests: 3) };
        await ReadyAsync([holder, .. survivors]);

        await holder.SendAsync("go");
        await held.WaitUntilReachedAsync();

        // The server has redeemed rt-1 and issued rt-2; the answer will never reach the holder.
        Assert.Equal(2, server.Generation);
        foreach (var survivor in survivors)
        {
            await SendGoWhenPollingAsync(host, survivor);
        }

        var killed = Stopwatch.GetTimestamp();
        holder.Kill();
        await Task.WhenAll(survivors.Select(s => s.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);
        var stall = survivors.Max(s => Stopwatch.GetElapsedTime(killed, s.TimeOfLine("ok=") ?? throw new InvalidOperationException(s.Output)));

        Assert.All(survivors, s => Assert.True(s.ExitCode == 0, s.Output));
        Assert.All(survivors, s => Assert.Contains("ok=3 failed=0", s.Output, StringComparison.Ordinal));
        Assert.All(survivors, s => Assert.Empty(s.Lines("sign-in-required")));
        Report(stall);
        Assert.InRange(stall, LeaseLeftAtLeast, StallBound);

        // One survivor redeemed: it waited for the dead holder's write, then presented the same
        // refresh token, and the grace window answered it with the successor already issued.
        // The other adopted what it stored.
        Assert.Single(survivors, s => s.Lines("refreshed").Count == 1);
        Assert.Single(survivors, s => s.Lines("log").Contains("log AuthHandler " + RedisTestHost.WaitingForEarlierRedemptionEvent));
        Assert.Equal([RefreshToken(1) + ":Rotated", RefreshToken(1) + ":GraceReplay"], server.Presentations.Select(p => p.ToString()));
        Assert.Equal(1, server.Rotations);
        Assert.Equal(0, server.Reuses);
        Assert.False(server.Revoked);
        await host.AssertStoredAsync(reader, generation: 2);
    }

    [Fact]
    public async Task Refresh_HolderKilledAfterTheServerRotatedStrictServer_NextHolderPresentsSameTokenAndSignsOutWithRefreshAnswerLost()
    {
        await using var host = await RedisTestHost.StartAsync();
        await using var server = RotatingTokenEndpoint.Start(host.Idp);
        var (reader, key) = await SeedExpiredAsync(host);
        var held = server.HoldNext(HoldPoint.AfterRotation);
        var holder = host.StartChild(requests: 1);
        var next = host.StartChild(requests: 3);
        await ReadyAsync(holder, next);

        await holder.SendAsync("go");
        await held.WaitUntilReachedAsync();
        await SendGoWhenPollingAsync(host, next);

        var killed = Stopwatch.GetTimestamp();
        holder.Kill();
        await next.Exited.WaitAsync(Patience, TestContext.Current.CancellationToken);
        var stall = Stopwatch.GetElapsedTime(killed, next.TimeOfLine("ok=") ?? throw new InvalidOperationException(next.Output));

        // The documented window no client can close: the server redeemed rt-1, its answer died
        // with the holder, and the only token left to present is rt-1. A strict server takes that
        // for reuse; the sign-out says it was a lost answer, not a revocation.
        Assert.Contains("ok=0 failed=3", next.Output, StringComparison.Ordinal);
        Assert.Equal(["sign-in-required reason=" + SignInRequiredReason.RefreshAnswerLost], next.Lines("sign-in-required"));
        Assert.Contains("log AuthHandler " + RedisTestHost.WaitingForEarlierRedemptionEvent, next.Lines("log"));
        Report(stall);
        Assert.InRange(stall, LeaseLeftAtLeast, StallBound);
        Assert.Equal([RefreshToken(1) + ":Rotated", RefreshToken(1) + ":Reused"], server.Presentations.Select(p => p.ToString()));
        Assert.True(server.Revoked);

        // A sign-out record, not a missing entry: nobody writes the spent tokens back.
        var admin = await host.AdminAsync();
        Assert.Null(await RedisTestHost.Store(reader).GetAsync(key, TestContext.Current.CancellationToken));
        Assert.True(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", key)));
        Assert.False(await admin.KeyExistsAsync(RedisTestHost.KeyFor("redeeming", key)));
    }

    /// <summary>
    /// What a sign-in left: generation 1, whose access token has expired on the real clock (the
    /// children's). Returns the in-process instance that wrote it (fence 1), to read Redis through.
    /// </summary>
    private static async Task<(IServiceProvider Reader, string Key)> SeedExpiredAsync(RedisTestHost host)
    {
        host.ApiAccepts(AccessToken(2));
        var reader = host.AddInstance();
        await RedisTestHost.SeedAsync(reader, AccessToken(1), RefreshToken(1), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(-1));
        return (reader, RedisTestHost.Session(reader).StoreKey);
    }

    private static void Report(TimeSpan stall) =>
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"stall after the kill: {stall.TotalSeconds:0.00} s"));

    private static async Task ReadyAsync(params HelperProcess[] children)
    {
        foreach (var child in children)
        {
            await child.WaitForLineAsync("ready", Patience);
        }
    }

    /// <summary>
    /// Tells <paramref name="child"/> to go and returns once its refresh has tried the lease and
    /// found it held: Redis counts two more SETs (the acquire script's SET NX), and nothing else
    /// writes while the holder waits for its answer.
    /// </summary>
    private static async Task SendGoWhenPollingAsync(RedisTestHost host, HelperProcess child)
    {
        var before = await host.SetCommandsAsync();
        await child.SendAsync("go");
        await RedisTestHost.WaitUntilAsync(async () => await host.SetCommandsAsync() >= before + 2, "the child polls the held lease", Patience);
        Assert.Empty(child.Lines("lock-acquired"));
    }
}
