using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class DeviceFlowTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;

    private static readonly object Pending = new { error = "authorization_pending" };
    private static readonly object SlowDown = new { error = "slow_down" };

    [Fact]
    public async Task SignInAsync_UserApproves_StoresTokensAndShowsTheCode()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.Scope = "read write";
            o.DeviceAuthorizationParameters["audience"] = "https://api.example.com";
        });
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((400, Pending), (400, Pending), (200, AuthTestHost.Tokens(Access1, Refresh1)));
        host.ApiAccepts(Access1);
        OnDeviceCodeArguments? shown = null;

        var signIn = host.Session.SignInAsync(args => { shown = args; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken);
        await DriveAsync(host, signIn, 5, 5, 5);

        Assert.NotNull(shown);
        Assert.Equal("ABCD-EFGH", shown.Value.UserCode);
        Assert.Equal(new Uri("https://id.example.com/device"), shown.Value.VerificationUri);
        Assert.Equal(new Uri("https://id.example.com/device?user_code=ABCD-EFGH"), shown.Value.VerificationUriComplete);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 10, 0, TimeSpan.Zero), shown.Value.ExpiresAt);
        var request = host.Idp.LogEntries.First(e => e.RequestMessage.Path == "/device").RequestMessage.Body!;
        Assert.Contains("client_id=cli", request, StringComparison.Ordinal);
        Assert.Contains("scope=read+write", request, StringComparison.Ordinal);
        Assert.Contains("audience=https%3A%2F%2Fapi.example.com", request, StringComparison.Ordinal);
        var poll = host.Idp.LogEntries.First(e => e.RequestMessage.Path == "/token").RequestMessage.Body!;
        Assert.Contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", poll, StringComparison.Ordinal);
        Assert.Contains("device_code=dc-" + AuthTestHost.SecretMarker, poll, StringComparison.Ordinal);
        Assert.Equal(3, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task SignInAsync_SlowDownTwice_IntervalsAre5Then10Then15()
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((400, SlowDown), (400, SlowDown), (400, Pending), (200, AuthTestHost.Tokens(Access1, Refresh1)));

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        await DriveAsync(host, signIn, 5, 10, 15, 15);

        Assert.Equal(4, host.TokenCalls);
    }

    [Fact]
    public async Task SignInAsync_NoIntervalInResponse_PollsEvery5Seconds()
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode(interval: null));
        host.TokenEndpointSequence((400, Pending), (200, AuthTestHost.Tokens(Access1, Refresh1)));

        await DriveAsync(host, host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken), 5, 5);

        Assert.Equal(2, host.TokenCalls);
    }

    [Theory]
    [InlineData("access_denied", DeviceAuthorizationFailure.AccessDenied)]
    [InlineData("expired_token", DeviceAuthorizationFailure.Expired)]
    [InlineData("invalid_client", DeviceAuthorizationFailure.Rejected)]
    public async Task SignInAsync_ServerStops_ThrowsTypedErrorAndStopsPolling(string error, DeviceAuthorizationFailure expected)
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((400, Pending), (400, new { error, error_description = "stop" }));

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => DriveAsync(host, signIn, 5, 5));

        Assert.Equal(expected, ex.Failure);
        Assert.Equal(error, ex.Error);
        Assert.Equal(2, host.TokenCalls);
        Assert.NotEqual(SessionState.SignedIn, host.Session.State);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInAsync_LocalDeadlinePasses_ThrowsExpired()
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode(expiresIn: 12));
        host.TokenEndpointAnswers(Pending, 400);

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // 12 s: two polls 5 s apart, then the last 2 s up to the deadline.
        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => DriveAsync(host, signIn, 5, 5, 2));

        Assert.Equal(DeviceAuthorizationFailure.Expired, ex.Failure);
        Assert.Equal(2, host.TokenCalls);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 0, 12, TimeSpan.Zero), host.Time.GetUtcNow());
    }

    [Fact]
    public async Task SignInAsync_TransientPollFailures_BackOffAndKeepPolling()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((503, new { }), (502, new { }), (400, Pending), (200, AuthTestHost.Tokens(Access1, Refresh1)));

        await DriveAsync(host, host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken), 5, 10, 20, 5);

        Assert.Equal(4, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task SignInAsync_Cancelled_StopsAtOnce()
    {
        await using var host = AuthTestHost.Start();
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(Pending, 400);
        using var cancellation = new CancellationTokenSource();

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, cancellation.Token);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signIn);
        Assert.Equal(0, host.TokenCalls);
    }

    [Theory]
    [InlineData("device_code")]
    [InlineData("user_code")]
    [InlineData("verification_uri")]
    public async Task SignInAsync_ResponseMissingField_NamesTheField(string missing)
    {
        await using var host = AuthTestHost.Start();
        var fields = new Dictionary<string, object>
        {
            ["device_code"] = "dc",
            ["user_code"] = "U",
            ["verification_uri"] = "https://id.example.com/device",
            ["expires_in"] = 600,
        };
        fields.Remove(missing);
        host.DeviceEndpointAnswers(fields);

        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, ex.Failure);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SignInAsync_ClientSecretBasic_EncodesIdAndSecret()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.ClientId = "my client";
            o.ClientSecret = "p@ss:" + AuthTestHost.SecretMarker;
        });
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh1));

        await DriveAsync(host, host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken), 5);

        // RFC 6749 §2.3.1: form-urlencode each part, then base64 "id:secret".
        var expected = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("my+client:p%40ss%3A" + AuthTestHost.SecretMarker));
        Assert.All(host.Idp.LogEntries, e => Assert.Equal("Basic " + expected, e.RequestMessage.Headers!["Authorization"].Single()));
        Assert.DoesNotContain("client_secret", host.Idp.LogEntries.First(e => e.RequestMessage.Path == "/token").RequestMessage.Body!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInAsync_ClientSecretPost_SendsTheSecretInTheBody()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.ClientSecret = "cs-" + AuthTestHost.SecretMarker;
            o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost;
        });
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh1));

        await DriveAsync(host, host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken), 5);

        Assert.All(host.Idp.LogEntries, e =>
        {
            Assert.Contains("client_id=cli", e.RequestMessage.Body!, StringComparison.Ordinal);
            Assert.Contains("client_secret=cs-" + AuthTestHost.SecretMarker, e.RequestMessage.Body!, StringComparison.Ordinal);
            Assert.False(e.RequestMessage.Headers!.ContainsKey("Authorization"));
        });
    }

    [Fact]
    public async Task SignInAsync_EmptyClientSecret_IsAPublicClient()
    {
        await using var host = AuthTestHost.Start(o => o.ClientSecret = "");
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh1));

        await DriveAsync(host, host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken), 5);

        Assert.All(host.Idp.LogEntries, e =>
        {
            Assert.Contains("client_id=cli", e.RequestMessage.Body!, StringComparison.Ordinal);
            Assert.False(e.RequestMessage.Headers!.ContainsKey("Authorization"));
        });
    }

    [Theory]
    [InlineData(503)]
    [InlineData(0)]
    public async Task SignInAsync_DeviceEndpointUnavailable_ThrowsUnavailable(int status)
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.BackchannelMaxRetryAttempts = 0;
            if (status == 0)
            {
                o.DeviceAuthorizationEndpoint = new Uri($"http://127.0.0.1:{AuthTestHost.FreeLoopbackPort()}/device");
            }
        });
        host.DeviceEndpointAnswers(new { }, status == 0 ? 200 : status);
        await host.SeedAsync(Access1);

        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.Unavailable, ex.Failure);
        Assert.NotNull(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SignInOnDemand_ConcurrentRequestsWithoutTokens_ShareOneSignIn()
    {
        var prompts = 0;
        await using var host = AuthTestHost.Start(o =>
        {
            o.SignInOnDemand = true;
            o.OnDeviceCode = _ =>
            {
                Interlocked.Increment(ref prompts);
                return ValueTask.CompletedTask;
            };
        });
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointSequence((400, Pending), (200, AuthTestHost.Tokens(Access1, Refresh1)));
        host.ApiAccepts(Access1);
        var client = host.Client;

        var requests = Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.GetAsync("/data", TestContext.Current.CancellationToken)));
        var responses = await DriveAsync(host, requests, 5, 5);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, prompts);
        Assert.Single(host.Idp.LogEntries, e => e.RequestMessage.Path == "/device");
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    /// <summary>
    /// Drives the device flow through <paramref name="waitSeconds"/>: for each, waits until the
    /// code has started a timer of exactly that length (the poll interval it is parked on), then
    /// advances the fake clock by exactly that much. A wait of another length never arrives and
    /// fails the test, as does work that ends before every expected wait was seen.
    /// </summary>
    private static async Task DriveAsync(AuthTestHost host, Task work, params double[] waitSeconds)
    {
        var seen = new Dictionary<TimeSpan, int>();
        foreach (var seconds in waitSeconds)
        {
            var wait = TimeSpan.FromSeconds(seconds);
            seen[wait] = seen.GetValueOrDefault(wait) + 1;
            var parked = host.Time.WaitForTimerAsync(wait, seen[wait]);
            if (await Task.WhenAny(work, parked) == work && !parked.IsCompleted)
            {
                await work;
                Assert.Fail($"The work ended before it waited {seconds} s.");
            }

            await parked;
            host.Time.Advance(wait);
        }

        await work;
    }

    private static async Task<T> DriveAsync<T>(AuthTestHost host, Task<T> work, params double[] waitSeconds)
    {
        await DriveAsync(host, (Task)work, waitSeconds);
        return await work;
    }
}
