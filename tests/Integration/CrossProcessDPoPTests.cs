using System.Text.Json;
using System.Text.Json.Nodes;
using AuthHandler.Tests.Unit;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Two OS processes of one user sharing one DPoP sign-in through the file store (issue 17): the
/// key made at sign-in is stored in the same record as the tokens, so every process signs with it
/// and the one refresh the file lock lets through is made with it. The token endpoint
/// (<see cref="DPoPTokenEndpoint"/>) and the API (<see cref="DPoPApi"/>) verify every proof on the
/// real clock, the clock the helper processes run on; the assertions are on what they received.
/// </summary>
public sealed class CrossProcessDPoPTests : IAsyncLifetime
{
    private const int RequestsPerProcess = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-xdpop-" + Guid.NewGuid().ToString("N"));
    private readonly List<HelperProcess> _helpers = [];
    private DPoPTokenEndpoint _server = null!;
    private DPoPTokenEndpoint.Hold? _hold;
    private string _key = null!;
    private string _storedKey = null!;

    public async ValueTask InitializeAsync()
    {
        _server = DPoPTokenEndpoint.Start(_idp, new Uri(_idp.Url + "/token"), TimeProvider.System);
        _idp.Given(Request.Create().WithPath("/device").UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(AuthTestHost.DeviceCode(interval: 5)));
        _key = DeviceAuthConstants.StoreKey(_idp.Url!, AuthTestHost.ClientId, null);
        await SignInAsync();
        _storedKey = (await new FileTokenStore(_directory).GetAsync(_key, CancellationToken.None))!.DPoPKey!;
    }

    [Fact]
    public async Task Refresh_TwoProcessesOnOneDPoPSignInWithAnExpiredToken_TheServerReceivesOneRefreshSignedWithTheSignInKeyAndEveryApiRequestOfBothCarriesAProofOfThatKeyWithItsOwnJti()
    {
        var signInThumbprint = Assert.Single(_server.Requests).Thumbprint!;
        Assert.Equal(signInThumbprint, _server.BoundThumbprint);
        await ExpireAccessTokenAsync();
        var api = new DPoPApi(_api, TimeProvider.System, signInThumbprint, "/data");
        api.AcceptedTokens.Add(DPoPTokenEndpoint.AccessToken(2));
        _hold = _server.HoldNext();
        var helpers = new[] { Start("a"), Start("b") };
        foreach (var helper in helpers)
        {
            await helper.WaitForLineAsync("ready", Patience);
        }

        await Task.WhenAll(helpers.Select(h => h.SendAsync("go")));

        // While the one refresh is held at the server, both processes reach the lock: the holder
        // took it at once, the other found it held. Only then does the server look at the refresh.
        await _hold.WaitUntilReachedAsync();
        var atTheLock = new List<string>();
        foreach (var helper in helpers)
        {
            atTheLock.Add(await helper.WaitForAnyLineAsync(Patience, "waiting-for-lock", "lock-acquired"));
        }

        Assert.Equal(["lock-acquired", "waiting-for-lock"], atTheLock.Order(StringComparer.Ordinal));
        Assert.Equal(2, _server.Requests.Count);
        _hold.Release();
        await Task.WhenAll(helpers.Select(h => h.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.All(helpers, h => Assert.True(h.ExitCode == 0, h.Output));
        Assert.All(helpers, h => Assert.Contains($"ok={RequestsPerProcess} failed=0", h.Output, StringComparison.Ordinal));
        Assert.Single(helpers, h => h.Lines("refreshed").Count == 1);
        Assert.All(helpers, h => Assert.Empty(h.Lines("sign-in-required")));

        // The token endpoint: the sign-in and exactly one refresh, of rt-1, whose proof verified
        // with the key the grant is bound to (the server refuses any other key).
        var requests = _server.Requests;
        Assert.Equal(["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"], requests.Select(r => r.GrantType));
        var refresh = requests[1];
        Assert.Null(refresh.Refusal);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(1), refresh.RefreshToken);
        Assert.Equal(signInThumbprint, refresh.Thumbprint);
        Assert.Equal(2, refresh.Issued);
        Assert.NotEqual(requests[0].Jti, refresh.Jti);

        // The API: every request of both processes carried the refreshed token and a verified
        // proof of the sign-in key, each with a jti of its own.
        var received = api.Received;
        Assert.Equal(2 * RequestsPerProcess, received.Count);
        Assert.All(received, r => Assert.Equal("ok", r.Verdict));
        Assert.All(received, r => Assert.Equal("DPoP " + DPoPTokenEndpoint.AccessToken(2), r.Authorization));
        Assert.All(received, r => Assert.Equal(signInThumbprint, Thumbprint(r.Proof!)));
        Assert.Equal(RequestsPerProcess, received.Count(r => r.Helper == "a"));
        Assert.Equal(RequestsPerProcess, received.Count(r => r.Helper == "b"));
        Assert.Equal(received.Count, received.Select(r => r.Proof!.Claim("jti")).Distinct(StringComparer.Ordinal).Count());

        // The record holds the rotated tokens and still the sign-in's key.
        var stored = await new FileTokenStore(_directory).GetAsync(_key, TestContext.Current.CancellationToken);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(2), stored!.RefreshToken);
        Assert.Equal(_storedKey, stored.DPoPKey);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Send_ProcessWhoseStoredDPoPKeyIsCorrupted_SignInRequiredTokenStoreUnreadableAndNeitherServerReceivedAnythingFromIt(bool accessTokenExpired)
    {
        if (accessTokenExpired)
        {
            await ExpireAccessTokenAsync();
        }

        var file = Assert.Single(Directory.GetFiles(_directory, "tokens-*.json"));
        var record = JsonNode.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken))!;
        Assert.Equal(_storedKey, (string?)record["dpop_key"]);
        record["dpop_key"] = "not base64url!";
        await File.WriteAllTextAsync(file, record.ToJsonString(), TestContext.Current.CancellationToken);
        var api = new DPoPApi(_api, TimeProvider.System, _server.BoundThumbprint!, "/data");
        api.AcceptedTokens.Add(DPoPTokenEndpoint.AccessToken(1));
        var helper = Start("corrupted");
        await helper.WaitForLineAsync("ready", Patience);

        await helper.SendAsync("go");
        await helper.Exited.WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.Single(_server.Requests); // the sign-in's
        Assert.Empty(api.Received);
        Assert.Empty(_api.LogEntries);
        Assert.Equal(1, helper.ExitCode);
        Assert.Contains($"ok=0 failed={RequestsPerProcess}", helper.Output, StringComparison.Ordinal);
        Assert.Equal(["sign-in-required reason=" + SignInRequiredReason.TokenStoreUnreadable], helper.Lines("sign-in-required"));
        var stored = await new FileTokenStore(_directory).GetAsync(_key, TestContext.Current.CancellationToken);
        Assert.Equal(DPoPTokenEndpoint.RefreshToken(1), stored!.RefreshToken);
    }

    public async ValueTask DisposeAsync()
    {
        // A test that failed while the refresh was held would otherwise keep WireMock from stopping.
        _hold?.Release();
        foreach (var helper in _helpers)
        {
            await helper.DisposeAsync();
            Assert.DoesNotContain(AuthTestHost.SecretMarker, helper.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(_storedKey, helper.Output, StringComparison.Ordinal);
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

    private static string Thumbprint(DPoPProof proof)
    {
        using var jwk = JsonDocument.Parse(proof.JwkJson);
        return DPoPProofVerifier.EcThumbprint(jwk.RootElement.GetProperty("x").GetString()!, jwk.RootElement.GetProperty("y").GetString()!);
    }

    /// <summary>
    /// A first session signs in with DPoP into the test's directory, on a fake clock that starts
    /// at the real time (the server checks each proof's iat against the real clock) and is moved
    /// by exactly the poll interval once the flow is parked on it.
    /// </summary>
    private async Task SignInAsync()
    {
        var time = new ObservableTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddDeviceAuthSession(AuthTestHost.ClientName, o =>
        {
            o.Authority = _idp.Url;
            o.ClientId = AuthTestHost.ClientId;
            o.TokenEndpoint = new Uri(_idp.Url + "/token");
            o.DeviceAuthorizationEndpoint = new Uri(_idp.Url + "/device");
            o.StorageDirectory = _directory;
            o.DeviceHeaders.Enabled = false;
            o.BackchannelMaxRetryAttempts = 0;
            o.DPoP.Enabled = true;
        });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>(AuthTestHost.ClientName);
        Assert.Equal(_key, session.StoreKey);
        var signIn = session.SignInAsync(_ => ValueTask.CompletedTask, CancellationToken.None);
        var parked = time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        if (await Task.WhenAny(signIn, parked) == signIn)
        {
            await signIn;
            Assert.Fail("The sign-in ended before it polled.");
        }

        time.Advance(TimeSpan.FromSeconds(5));
        await signIn;
    }

    /// <summary>What an hour's wait leaves, on the helpers' real clock: the sign-in's record with its access token expired.</summary>
    private async Task ExpireAccessTokenAsync()
    {
        var store = new FileTokenStore(_directory);
        var lease = await new FileRefreshLock(_directory).AcquireAsync(_key, CancellationToken.None);
        await using (lease)
        {
            var signedIn = (await store.GetAsync(_key, CancellationToken.None))!;
            var now = DateTimeOffset.UtcNow;
            await store.SetAsync(
                _key,
                new TokenSet(signedIn.AccessToken, now.AddMinutes(-1))
                {
                    TokenType = signedIn.TokenType,
                    RefreshToken = signedIn.RefreshToken,
                    Scope = signedIn.Scope,
                    DPoPKey = signedIn.DPoPKey,
                    IssuedAt = now.AddMinutes(-61),
                },
                lease,
                CancellationToken.None);
        }
    }

    private HelperProcess Start(string label)
    {
        var helper = HelperProcess.Start("requests", _directory, _idp.Url!, _api.Url!, RequestsPerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture), "dpop", label);
        _helpers.Add(helper);
        return helper;
    }
}
