using System.Net;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Token endpoint answers built to break the client: each test asserts what the API received
/// (request count, header names and values) and what the store kept, not a marker string.
/// </summary>
public sealed class HostileTokenResponseTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    [Theory]
    [InlineData("at-2\r\nX-Injected: yes")]
    [InlineData("at-2\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x")]
    [InlineData("   ")]
    [InlineData("at-2 with spaces")]
    [InlineData("at-2-tök")]
    public async Task Refresh_AccessTokenThatIsNotAB64token_NeverReachesTheApiAndKeepsTheIssuedRefreshToken(string accessToken)
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1);
        host.TokenEndpointAnswers(new { access_token = accessToken, token_type = "Bearer", expires_in = 3600, refresh_token = Refresh2 });
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        Assert.Contains("b64token", ex.Message, StringComparison.Ordinal);
        Assert.Empty(host.Api.LogEntries);
        var stored = await host.Store.GetAsync(host.Session.StoreKey, CancellationToken.None);
        Assert.Equal(Refresh2, stored!.RefreshToken);
        Assert.Equal(Access1, stored.AccessToken);
        Assert.Equal(0, signals);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task Refresh_AfterAnUnusableAnswerWithARefreshToken_NextRefreshPresentsTheIssuedOne()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts("at-3");
        host.TokenEndpointSequence(
            (200, new { access_token = "at-2\r\nX-Injected: yes", token_type = "Bearer", refresh_token = Refresh2 }),
            (200, AuthTestHost.Tokens("at-3", "rt-3-" + AuthTestHost.SecretMarker)));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bodies = host.Idp.LogEntries.Where(e => e.RequestMessage.Path == "/token").Select(e => e.RequestMessage.Body).ToList();
        Assert.Equal(2, bodies.Count);
        Assert.Contains("refresh_token=" + Refresh1, bodies[0], StringComparison.Ordinal);
        Assert.Contains("refresh_token=" + Refresh2, bodies[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_After401WithSmugglingToken_ApiParsesExactlyOneRequestWithOnlyTheOldToken()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1);
        host.ApiAccepts("never-issued");
        host.TokenEndpointAnswers(new { access_token = "at-2\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x", token_type = "Bearer", refresh_token = Refresh2 });

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        var request = Assert.Single(host.Api.LogEntries).RequestMessage;
        Assert.Equal("/data", request.Path);
        Assert.Equal("Bearer " + Access1, Assert.Single(request.Headers!["Authorization"]));
        Assert.DoesNotContain(request.Headers!.Keys, name => name.Equals("X-Injected", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("mac")]
    [InlineData("DPoP")]
    [InlineData("Bearer\r\nX-Injected: yes")]
    public async Task Refresh_TokenTypeWeDoNotImplement_IsInvalidResponseAndNothingIsSent(string tokenType)
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(new { access_token = "at-2", token_type = tokenType, expires_in = 3600, refresh_token = Refresh2 });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        Assert.Contains("token_type", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(host.Api.LogEntries);
        Assert.Equal(Refresh2, (await host.Store.GetAsync(host.Session.StoreKey, CancellationToken.None))!.RefreshToken);
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    [InlineData(null)]
    public async Task Refresh_BearerInAnyCaseOrAbsent_IsSentAsBearer(string? tokenType)
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts("at-2");
        host.TokenEndpointAnswers(new { access_token = "at-2", token_type = tokenType, expires_in = 3600 });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer at-2", Assert.Single(host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"]));
    }

    [Fact]
    public async Task Refresh_BodyWithUtf8ByteOrderMark_IsAccepted()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts("at-2");
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"access_token":"at-2","token_type":"Bearer","expires_in":3600}"""u8];
        host.Idp.Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Refresh_HugeErrorWithCrLf_MessageLogsAndPropertiesAreBoundedAndSingleLine()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        var hugeError = "temporarily_unavailable\r\nX-Forged: yes" + new string('x', 300_000);
        var description = "down\r\n\u001b[2J\u202Efor maintenance" + new string('y', 300_000);
        host.TokenEndpointAnswers(new { error = hugeError, error_description = description }, 400);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.True(ex.Message.Length < 600, $"message of {ex.Message.Length} characters");
        Assert.DoesNotContain(ex.Message, c => char.IsControl(c) || c == '\u202E');
        Assert.True(ex.Error!.Length <= 64);
        Assert.DoesNotContain(ex.Error, char.IsControl);
        var records = host.Logs.GetSnapshot().Where(r => r.Category == "AuthHandler").ToList();
        Assert.Contains(records, r => r.Id.Id == 4);
        foreach (var record in records)
        {
            var text = record.Message + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []);
            Assert.True(text.Length < 2_000, $"log record {record.Id} of {text.Length} characters");
            Assert.DoesNotContain(text, c => c is '\r' or '\n' or '\u001b' or '\u202E');
        }
    }

    [Fact]
    public async Task Refresh_503WithRetryAfterAnHour_FailsAtOnceSayingWhenToTryAgain()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.Idp.Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "3600"));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // No clock advance: the call must end without waiting for the hour.
        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.Transient, ex.Failure);
        Assert.Equal(TimeSpan.FromHours(1), ex.RetryAfter);
        Assert.Contains("3600 s", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, CancellationToken.None))!.RefreshToken);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task Refresh_429WithRetryAfterDateADayAhead_FailsAtOnceWithThatWait()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var date = host.Time.GetUtcNow().AddDays(1).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        host.Idp.Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", date));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TimeSpan.FromDays(1), ex.RetryAfter);
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task Refresh_RetryAfterAboveALoweredCap_IsNotWaitedFor()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAfter = TimeSpan.FromSeconds(5));
        await host.SeedAsync(Access1, Refresh1, lifetime: TimeSpan.FromMinutes(10));
        host.Idp.Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "6"));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TimeSpan.FromSeconds(6), ex.RetryAfter);
        Assert.Equal(1, host.TokenCalls);
    }
}
