using Microsoft.Extensions.DependencyInjection;
using System.Net;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

public sealed class TransientFailureTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    /// <summary>Answers that say the request was not processed, or carry the refresh token that replaces the one redeemed.</summary>
    public static TheoryData<string> Faults => ["503", "429", "no-access-token", "temporarily_unavailable"];

    /// <summary>Answers after which the server may have rotated the refresh token, and the answer that carried its successor is lost.</summary>
    public static TheoryData<string> LostAnswers => ["500", "html200", "truncated", "json-array", "empty-response", "malformed-chunk"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task SendAsync_TokenEndpointFault_KeepsTokensAndThrowsTypedError(string fault)
    {
        await using var host = await FaultThenSuccessAsync(fault);
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.True(ex.IsTransient);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        // An answer without an access token that carries a refresh token has spent the old one:
        // the issued refresh token is kept instead (RFC 9700 §4.14).
        Assert.Equal(fault == "no-access-token" ? Refresh2 : Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);

        // The fault clears: the next request refreshes and succeeds without a new sign-in.
        var next = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, host.TokenCalls);
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(LostAnswers))]
    public async Task SendAsync_AnswerLost_PresentsTheSameRefreshTokenOnceMoreAfterOneSecondAndSucceeds(string fault)
    {
        await using var host = await FaultThenSuccessAsync(fault);
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.PassLostAnswerDelayAsync();
        var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Refresh1, Refresh1], host.PresentedRefreshTokens);
        Assert.Equal(0, signals);
        var stored = await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Refresh2, stored!.RefreshToken);
        Assert.Null(stored.Redeeming);
    }

    [Fact(Timeout = 30_000)]
    public async Task SendAsync_503ThenResetThenSuccess_CallSucceedsWithOneRefreshTokenPresentedThreeTimes()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 1);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("f").WillSetStateTo("reset")
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "2"));
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("f").WhenStateIs("reset").WillSetStateTo("ok")
            .RespondWith(Response.Create().WithFault(FaultType.EMPTY_RESPONSE));
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("f").WhenStateIs("ok")
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // The 503 said "not processed": the back channel's own retry waits its Retry-After. The
        // reset after it may have come after the rotation: the refresh token goes once more.
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await host.PassLostAnswerDelayAsync();
        var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Refresh1, Refresh1, Refresh1], host.PresentedRefreshTokens);
        Assert.Equal(Refresh2, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact(Timeout = 30_000)]
    public async Task SendAsync_AnswerLostThenInvalidGrant_SignsOutWithRefreshAnswerLostAndRecordsTheSignOut()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointSequence((500, new { }), (400, new { error = "invalid_grant" }));
        var reasons = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, e) => reasons.Add(e.Reason);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.PassLostAnswerDelayAsync();
        var response = await request;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([SignInRequiredReason.RefreshAnswerLost], reasons);
        Assert.Equal(2, host.TokenCalls);
        var entry = await AuthHandler.Storage.Internal.StoreEntry.ReadAsync(host.Store, host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.True(entry.SignedOut);
        Assert.Null(entry.Tokens);
    }

    [Fact(Timeout = 30_000)]
    public async Task SendAsync_AnswerLostTwice_KeepsTheMarkedTokensAndThrowsTransient()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { }, 502);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.PassLostAnswerDelayAsync();
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.True(ex.IsTransient);
        Assert.Equal(2, host.TokenCalls);
        // The refresh token may be spent: the next holder is told so by the marker left on it.
        var stored = await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Refresh1, stored!.RefreshToken);
        Assert.NotNull(stored.Redeeming);
    }

    /// <summary>A host whose token endpoint answers <paramref name="fault"/> once, then new tokens.</summary>
    private static async Task<AuthTestHost> FaultThenSuccessAsync(string fault)
    {
        var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("fault").WillSetStateTo("cleared").RespondWith(FaultResponse(fault));
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("fault").WhenStateIs("cleared")
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
        return host;
    }

    private static IResponseBuilder FaultResponse(string fault) => fault switch
        {
            "503" => Response.Create().WithStatusCode(503).WithBody("Service Unavailable"),
            "500" => Response.Create().WithStatusCode(500),
            "429" => Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1"),
            "html200" => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/html").WithBody("<html><body>Proxy login</body></html>"),
            "truncated" => Response.Create().WithStatusCode(200).WithBody("{\"access_token\":\"at-2-SECRET\",\"refresh_tok"),
            "no-access-token" => Response.Create().WithStatusCode(200).WithBodyAsJson(new { token_type = "Bearer", refresh_token = Refresh2 }),
            "json-array" => Response.Create().WithStatusCode(200).WithBody("[{\"access_token\":\"x\"}]"),
            "empty-response" => Response.Create().WithFault(FaultType.EMPTY_RESPONSE),
            "malformed-chunk" => Response.Create().WithFault(FaultType.MALFORMED_RESPONSE_CHUNK),
            _ => Response.Create().WithStatusCode(400).WithBodyAsJson(new { error = "temporarily_unavailable" }),
        };

    [Fact]
    public async Task SendAsync_TokenEndpointRefusesConnections_KeepsTokens()
    {
        var closed = new Uri($"http://127.0.0.1:{AuthTestHost.FreeLoopbackPort()}/token");
        await using var host = AuthTestHost.Start(o =>
        {
            o.TokenEndpoint = closed;
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.Transient, ex.Failure);
        Assert.Null(ex.StatusCode);
        Assert.IsType<HttpRequestException>(ex.InnerException?.InnerException);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task SendAsync_TransientFailureAfter401_ThrowsAndKeepsTokens()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { error = "server_error" }, 502);

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Equal("server_error", ex.Error);
        Assert.Equal(Access1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.AccessToken);
    }

    [Fact]
    public async Task SendAsync_RefreshFailsInsideSkew_UsesTheStillValidToken()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromHours(1));
        host.ApiAccepts(Access1);
        host.TokenEndpointAnswers(new { }, 503);

        // 10 s left: past expiry minus skew, but the server still accepts the token.
        host.Time.Advance(TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(50));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 11);
    }

    [Fact]
    public async Task SendAsync_503WithRetryAfter7_RetriesExactly7SecondsLater()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        host.Idp.Given(Request.Create().WithPath("/token")).InScenario("r").WillSetStateTo("ok")
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "7"));
        host.Idp.Given(Request.Create().WithPath("/token")).InScenario("r").WhenStateIs("ok")
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        Assert.Equal(1, host.TokenCalls);
        host.Time.Advance(TimeSpan.FromSeconds(7));
        var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, host.TokenCalls);
    }

    // Only the lost-answer delay is passed: a back-channel retry would park on its back-off
    // timer and the timeout would fail the test.
    [Theory(Timeout = 30_000)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task SendAsync_RefreshThatMayHaveReachedTheServer_IsPresentedExactlyOnceMoreAfterTheLostAnswerDelay(int status)
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 3);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { }, status);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.PassLostAnswerDelayAsync();
        await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.Equal([Refresh1, Refresh1], host.PresentedRefreshTokens);
    }

    [Fact]
    public async Task SendAsync_OversizedTokenResponse_IsRejectedAsInvalid()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.Idp.Given(Request.Create().WithPath("/token"))
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"access_token\":\"" + new string('a', 3 * 1024 * 1024) + "\"}"));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // A 200 whose body cannot be read may carry a rotation: presented once more, then given up.
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.PassLostAnswerDelayAsync();
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        Assert.Contains("larger than", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, host.TokenCalls);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }
}

public sealed class BackchannelTimeoutTests
{
    [Fact(Timeout = 30_000)]
    public async Task SendAsync_TokenEndpointStalls_AttemptTimeoutGivesTransientError()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.BackchannelTimeout = TimeSpan.FromSeconds(3);
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync("at-1-" + AuthTestHost.SecretMarker, lifetime: TimeSpan.FromMinutes(10));
        // The server stalls until the test ends. The stall is held, not a delay on the real clock:
        // the attempt timeout runs on the fake clock, and a delay could end first on a loaded
        // machine, answering the empty body (InvalidResponse) instead of timing out.
        await using var held = HeldTokenEndpoint.Answer(host, new { });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // A timed-out attempt may have been processed: one more after the lost-answer delay,
        // which times out as well.
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await held.WaitUntilReachedAsync();
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(3));
        host.Time.Advance(TimeSpan.FromSeconds(3));
        await host.PassLostAnswerDelayAsync();
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(3), count: 2);
        host.Time.Advance(TimeSpan.FromSeconds(3));
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.Equal(TokenEndpointFailure.Transient, ex.Failure);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "RefreshAnswerLost");
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }
}

public sealed class BackchannelIsolationTests
{
    // No clock is advanced: a retry would park on its back-off timer and the timeout would fail the test.
    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Refresh_AppAddsResilienceToEveryClient_TokenEndpointStillGetsOneAttempt(bool defaultsFirst)
    {
        await using var host = AuthTestHost.Start(
            o => o.BackchannelMaxRetryAttempts = 0,
            services: s =>
            {
                if (defaultsFirst)
                {
                    s.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler());
                }
            },
            client: c =>
            {
                if (!defaultsFirst)
                {
                    c.Services.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler());
                }
            });
        await host.SeedAsync("at-1-" + AuthTestHost.SecretMarker, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { }, 503);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // The app's resilience handler would retry a 503 on any client; the back channel carries
        // only its own pipeline, here with no retries (invariant 7).
        await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(1, host.TokenCalls);
    }
}

public sealed class StalledBodyTests
{
    [Fact(Timeout = 60_000)]
    public async Task Refresh_HeadersThenStalledBody_EndsAsTransientAfterTheTimeout()
    {
        // A raw loopback server: status line, headers, part of the body, then nothing.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var server = Task.Run(async () =>
        {
            var sockets = new List<System.Net.Sockets.Socket>();
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync(stop.Token);
                    sockets.Add(socket);
                    var buffer = new byte[8192];
                    await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, stop.Token);
                    var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"access_token\":\"a";
                    await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(head), System.Net.Sockets.SocketFlags.None, stop.Token);
                }
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }, stop.Token);

        await using var host = AuthTestHost.Start(o =>
        {
            o.TokenEndpoint = new Uri($"http://127.0.0.1:{port}/token");
            o.BackchannelTimeout = TimeSpan.FromSeconds(2);
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync("at-1-" + AuthTestHost.SecretMarker, lifetime: TimeSpan.FromMinutes(10));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // Two timers of the timeout per attempt: the attempt's (ended when the headers came) and
        // the body read's. A 200 whose body never came may carry a rotation: one attempt more.
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2), count: 2);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await host.PassLostAnswerDelayAsync();
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2), count: 4);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.True(ex.IsTransient);
        Assert.Contains("did not arrive", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.NotNull(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);
    }
}
