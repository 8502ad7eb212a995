using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Several OS processes of one user share one token directory and one refresh token that the
/// server rotates, treating any reuse as theft (RFC 9700 §4.14).
/// </summary>
public sealed class CrossProcessCoordinationTests : IAsyncLifetime
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-xproc-" + Guid.NewGuid().ToString("N"));
    private HeldTokenEndpoint _rotation = null!;

    public async ValueTask InitializeAsync()
    {
        // First use of rt-1 rotates it, once the test releases the answer; every later use is
        // answered as a reuse.
        var redeem = Request.Create().WithPath("/token").UsingPost().WithBody(new WildcardMatcher("*refresh_token=" + Refresh1 + "*"));
        _rotation = HeldTokenEndpoint.Answer(_idp.Given(redeem).InScenario("rotation").WillSetStateTo("rotated"), AuthTestHost.Tokens(Access2, Refresh2));
        _idp.Given(redeem).InScenario("rotation").WhenStateIs("rotated")
            .RespondWith(Response.Create().WithStatusCode(400).WithBodyAsJson(new { error = "invalid_grant", error_description = "refresh token reuse" }));
        _api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer " + Access2)).AtPriority(1).RespondWith(Response.Create().WithStatusCode(200));
        _api.Given(Request.Create().WithPath("/data")).AtPriority(10).RespondWith(Response.Create().WithStatusCode(401));

        // What an earlier sign-in left: an access token that has expired, and the refresh token.
        var now = DateTimeOffset.UtcNow;
        var key = DeviceAuthConstants.StoreKey(_idp.Url!, "cli", null);
        var lease = await new FileRefreshLock(_directory).AcquireAsync(key, CancellationToken.None);
        await using (lease)
        {
            await new FileTokenStore(_directory).SetAsync(
                key,
                new TokenSet(Access1, now.AddMinutes(-1)) { RefreshToken = Refresh1, IssuedAt = now.AddMinutes(-61) },
                lease,
                CancellationToken.None);
        }
    }

    [Fact]
    public async Task EightProcesses_ExpiredToken_RefreshExactlyOnce()
    {
        var helpers = Enumerable.Range(0, 8).Select(_ => HelperProcess.Start("requests", _directory, _idp.Url!, _api.Url!, "25")).ToList();
        try
        {
            foreach (var helper in helpers)
            {
                await helper.WaitForLineAsync("ready", Patience);
            }

            await Task.WhenAll(helpers.Select(h => h.SendAsync("go")));

            // While the one redemption is held, every process reaches the lock: the holder took it
            // at once, the seven others found it held. Only then does the server answer.
            await _rotation.WaitUntilReachedAsync();
            var atTheLock = new List<string>();
            foreach (var helper in helpers)
            {
                atTheLock.Add(await helper.WaitForAnyLineAsync(Patience, "waiting-for-lock", "lock-acquired"));
            }

            Assert.Equal(7, atTheLock.Count(line => line == "waiting-for-lock"));
            Assert.Equal(1, _rotation.Calls);
            _rotation.Release();
            await Task.WhenAll(helpers.Select(h => h.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);

            Assert.All(helpers, h => Assert.True(h.ExitCode == 0, h.Output));
            Assert.All(helpers, h => Assert.Contains("ok=25 failed=0", h.Output, StringComparison.Ordinal));
            Assert.Equal(1, _idp.LogEntries.Count(e => e.RequestMessage.Path == "/token"));
            Assert.Equal(0, _idp.LogEntries.Count(e => e.ResponseMessage.StatusCode is 400));
            Assert.Equal(200, _api.LogEntries.Count(e => e.ResponseMessage.StatusCode is 200));
        }
        finally
        {
            foreach (var helper in helpers)
            {
                await helper.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LockHolderDies_OthersProceedAfterIt()
    {
        // What this test holds is the lock, not the server's answer.
        _rotation.Release();
        await using var holder = HelperProcess.Start("hold-lock", _directory, _idp.Url!);
        await holder.WaitForLineAsync("locked", Patience);
        var helpers = Enumerable.Range(0, 3).Select(_ => HelperProcess.Start("requests", _directory, _idp.Url!, _api.Url!, "5")).ToList();
        try
        {
            foreach (var helper in helpers)
            {
                await helper.WaitForLineAsync("ready", Patience);
            }

            await Task.WhenAll(helpers.Select(h => h.SendAsync("go")));

            // Each helper reports that its refresh reached the lock and found it held: while the
            // holder lives, all three are refused it, so nobody has redeemed the refresh token.
            foreach (var helper in helpers)
            {
                await helper.WaitForLineAsync("waiting-for-lock", Patience);
            }

            Assert.DoesNotContain(helpers, h => h.Output.Contains("lock-acquired", StringComparison.Ordinal));
            Assert.DoesNotContain(helpers, h => h.Exited.IsCompleted);
            Assert.Equal(0, _idp.LogEntries.Count(e => e.RequestMessage.Path == "/token"));

            holder.Kill();
            await Task.WhenAll(helpers.Select(h => h.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);

            Assert.All(helpers, h => Assert.True(h.ExitCode == 0, h.Output));
            Assert.All(helpers, h => Assert.Contains("lock-acquired", h.Output, StringComparison.Ordinal));
            Assert.Equal(1, _idp.LogEntries.Count(e => e.RequestMessage.Path == "/token"));
        }
        finally
        {
            foreach (var helper in helpers)
            {
                await helper.DisposeAsync();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        // A test that failed while the answer was held would otherwise keep WireMock from stopping.
        _rotation.Release();
        _idp.Stop();
        _api.Stop();
        _idp.Dispose();
        _api.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
