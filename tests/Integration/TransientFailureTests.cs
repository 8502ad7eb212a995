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

    public static TheoryData<string> Faults => ["503", "500", "429", "html200", "truncated", "no-access-token", "temporarily_unavailable", "json-array", "empty-response", "malformed-chunk"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task SendAsync_TokenEndpointFault_KeepsTokensAndThrowsTypedError(string fault)
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access2);
        var response = fault switch
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
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("fault").WillSetStateTo("cleared").RespondWith(response);
        host.Idp.Given(Request.Create().WithPath("/token")).AtPriority(1).InScenario("fault").WhenStateIs("cleared")
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
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

    // No clock is advanced: a retry would park on its back-off timer and the timeout would fail the test.
    [Theory(Timeout = 30_000)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task SendAsync_RefreshThatMayHaveReachedTheServer_IsNotRetried(int status)
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 3);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { }, status);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_OversizedTokenResponse_IsRejectedAsInvalid()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.Idp.Given(Request.Create().WithPath("/token"))
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{\"access_token\":\"" + new string('a', 3 * 1024 * 1024) + "\"}"));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        Assert.Contains("larger than", ex.Message, StringComparison.Ordinal);
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
            o.BackchannelTimeout = TimeSpan.FromSeconds(1);
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync("at-1-" + AuthTestHost.SecretMarker, lifetime: TimeSpan.FromMinutes(10));
        // The server stalls until the test ends. The stall is held, not a delay on the real clock:
        // the attempt timeout runs on the fake clock, and a 2 s delay could end first on a loaded
        // machine, answering the empty body (InvalidResponse) instead of timing out.
        await using var stalled = HeldTokenEndpoint.Answer(host, new { });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => request);

        Assert.Equal(TokenEndpointFailure.Transient, ex.Failure);
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
        host.TokenEndpointAnswers(new { }, 500);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // A 500 may mean the server rotated the refresh token already: no second attempt, from
        // any handler (RFC 9700 §4.14).
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
            using var socket = await listener.AcceptSocketAsync(stop.Token);
            var buffer = new byte[8192];
            await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, stop.Token);
            var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"access_token\":\"a";
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(head), System.Net.Sockets.SocketFlags.None, stop.Token);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }, stop.Token);

        await using var host = AuthTestHost.Start(o =>
        {
            o.TokenEndpoint = new Uri($"http://127.0.0.1:{port}/token");
            o.BackchannelTimeout = TimeSpan.FromSeconds(2);
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync("at-1-" + AuthTestHost.SecretMarker, lifetime: TimeSpan.FromMinutes(10));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // Two timers of the timeout: the attempt's (ended when the headers came) and the body read's.
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2), count: 2);
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
