using System.Diagnostics;
using AuthHandler.Storage.Internal;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static AuthHandler.Tests.RotatingTokenEndpoint;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Processes of one user sharing the file store, one of which holds the file refresh lock and is
/// killed (SIGKILL) after the server rotated the refresh token and before its answer arrived:
/// the documented window no client can close. The stand-in server holds the answer, so the test
/// decides that the server "has redeemed".
/// </summary>
public sealed class CrossProcessKillTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The OS frees the dead holder's lock at once; the others poll it every 250 ms at most.</summary>
    private static readonly TimeSpan StallBound = TimeSpan.FromSeconds(5);

    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-xkill-" + Guid.NewGuid().ToString("N"));
    private readonly List<HelperProcess> _helpers = [];
    private string _key = null!;

    public async ValueTask InitializeAsync()
    {
        _api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer " + AccessToken(2))).AtPriority(1).RespondWith(Response.Create().WithStatusCode(200));
        _api.Given(Request.Create().WithPath("/data")).AtPriority(10).RespondWith(Response.Create().WithStatusCode(401));

        // What an earlier sign-in left: generation 1, whose access token has expired.
        var now = DateTimeOffset.UtcNow;
        _key = DeviceAuthConstants.StoreKey(_idp.Url!, "cli", null);
        var lease = await new FileRefreshLock(_directory).AcquireAsync(_key, CancellationToken.None);
        await using (lease)
        {
            await new FileTokenStore(_directory).SetAsync(
                _key,
                new TokenSet(AccessToken(1), now.AddMinutes(-1)) { RefreshToken = RefreshToken(1), IssuedAt = now.AddMinutes(-61) },
                lease,
                CancellationToken.None);
        }
    }

    [Fact]
    public async Task Refresh_HolderKilledAfterTheServerRotatedWithReuseGraceWindow_NextHolderPresentsTheMarkedTokenGetsTheSameSuccessorBothSurvivorsWorkOneRotation()
    {
        await using var server = RotatingTokenEndpoint.Start(_idp, reuseGrace: TimeSpan.FromSeconds(60));
        var held = server.HoldNext(HoldPoint.AfterRotation);
        var (holder, survivors) = await StartAsync(survivorCount: 2);

        await holder.SendAsync("go");
        await held.WaitUntilReachedAsync();
        await AssertMarkedAsync(server);
        foreach (var survivor in survivors)
        {
            await survivor.SendAsync("go");
            await survivor.WaitForLineAsync("waiting-for-lock", Patience);
        }

        var stall = await KillAndMeasureAsync(holder, survivors);

        Assert.All(survivors, s => Assert.True(s.ExitCode == 0, s.Output));
        Assert.All(survivors, s => Assert.Contains("ok=3 failed=0", s.Output, StringComparison.Ordinal));
        Assert.All(survivors, s => Assert.Empty(s.Lines("sign-in-required")));
        Assert.InRange(stall, TimeSpan.Zero, StallBound);

        // One survivor presented the marked rt-1 again and got the successor the server had
        // already issued; the other adopted what it stored. The grant is the one signed in.
        Assert.Single(survivors, s => s.Lines("refreshed").Count == 1);
        Assert.Equal([RefreshToken(1) + ":Rotated", RefreshToken(1) + ":GraceReplay"], server.Presentations.Select(p => p.ToString()));
        Assert.Equal(1, server.Rotations);
        Assert.Equal(0, server.Reuses);
        Assert.False(server.Revoked);
        var stored = await new FileTokenStore(_directory).GetAsync(_key, TestContext.Current.CancellationToken);
        Assert.Equal(AccessToken(2), stored!.AccessToken);
        Assert.Equal(RefreshToken(2), stored.RefreshToken);
        Assert.Null(stored.Redeeming);
    }

    [Fact]
    public async Task Refresh_HolderKilledAfterTheServerRotatedStrictServer_NextHolderPresentsTheMarkedTokenAndSignsOutWithRefreshAnswerLostLeavingASignOutRecord()
    {
        await using var server = RotatingTokenEndpoint.Start(_idp);
        var held = server.HoldNext(HoldPoint.AfterRotation);
        var (holder, survivors) = await StartAsync(survivorCount: 1);
        var next = survivors[0];

        await holder.SendAsync("go");
        await held.WaitUntilReachedAsync();
        await AssertMarkedAsync(server);
        await next.SendAsync("go");
        await next.WaitForLineAsync("waiting-for-lock", Patience);

        var stall = await KillAndMeasureAsync(holder, survivors);

        // The server redeemed rt-1 and its answer died with the holder; rt-1 is all that is
        // left to present, and a strict server takes it for reuse. The reason says so.
        Assert.Contains("ok=0 failed=3", next.Output, StringComparison.Ordinal);
        Assert.Equal(["sign-in-required reason=" + SignInRequiredReason.RefreshAnswerLost], next.Lines("sign-in-required"));
        Assert.InRange(stall, TimeSpan.Zero, StallBound);
        Assert.Equal([RefreshToken(1) + ":Rotated", RefreshToken(1) + ":Reused"], server.Presentations.Select(p => p.ToString()));
        Assert.True(server.Revoked);
        var entry = await ((ISignOutRecordingStore)new FileTokenStore(_directory)).ReadEntryAsync(_key, TestContext.Current.CancellationToken);
        Assert.True(entry.SignedOut);
        Assert.Null(entry.Tokens);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var helper in _helpers)
        {
            await helper.DisposeAsync();
            Assert.DoesNotContain(AuthTestHost.SecretMarker, helper.Output, StringComparison.Ordinal);
        }

        _idp.Stop();
        _api.Stop();
        _idp.Dispose();
        _api.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>The holder (one request) and the survivors (three requests each), all ready.</summary>
    private async Task<(HelperProcess Holder, HelperProcess[] Survivors)> StartAsync(int survivorCount)
    {
        var holder = Start(requests: 1);
        var survivors = Enumerable.Range(0, survivorCount).Select(_ => Start(requests: 3)).ToArray();
        foreach (var helper in _helpers)
        {
            await helper.WaitForLineAsync("ready", Patience);
        }

        return (holder, survivors);
    }

    private HelperProcess Start(int requests)
    {
        var helper = HelperProcess.Start("requests", _directory, _idp.Url!, _api.Url!, requests.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _helpers.Add(helper);
        return helper;
    }

    /// <summary>Before it asked, the holder marked the stored rt-1 as being redeemed; the server has rotated it.</summary>
    private async Task AssertMarkedAsync(RotatingTokenEndpoint server)
    {
        var stored = await new FileTokenStore(_directory).GetAsync(_key, TestContext.Current.CancellationToken);
        Assert.Equal(RefreshToken(1), stored!.RefreshToken);
        Assert.NotNull(stored.Redeeming);
        Assert.Equal(2, server.Generation);
    }

    /// <summary>Kills the holder; returns how long after the kill the last survivor's requests were done.</summary>
    private static async Task<TimeSpan> KillAndMeasureAsync(HelperProcess holder, HelperProcess[] survivors)
    {
        var killed = Stopwatch.GetTimestamp();
        holder.Kill();
        await Task.WhenAll(survivors.Select(s => s.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);
        var stall = survivors.Max(s => Stopwatch.GetElapsedTime(killed, s.TimeOfLine("ok=") ?? throw new InvalidOperationException(s.Output)));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"stall after the kill: {stall.TotalSeconds:0.00} s"));
        return stall;
    }
}
