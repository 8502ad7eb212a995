using System.Net;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Tokens a store hands back are local data, not trusted data: an expiry out of range reads as
/// expired and is refreshed, and an access token that cannot go into a header is never sent.
/// </summary>
public sealed class StoredTokenTests
{
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    private static async Task WriteTokenFileAsync(AuthTestHost host, string json)
    {
        Directory.CreateDirectory(host.Directory);
        await File.WriteAllTextAsync(host.FileStore.PathFor(host.Session.StoreKey), json, TestContext.Current.CancellationToken);
    }

    private static string RefreshBody(AuthTestHost host) => host.Idp.LogEntries.Single(e => e.RequestMessage.Path == "/token").RequestMessage.Body!;

    public static TheoryData<string> UnrepresentableExpiries =>
    [
        "\"0001-01-01T00:00:00+00:00\"",
        "\"0001-01-01T00:00:00-05:00\"",
        "\"0001-01-01T00:00:00+05:00\"",
        "\"9999-12-31T23:00:00-05:00\"",
        "\"not a date\"",
        "1767268800",
    ];

    [Theory]
    [MemberData(nameof(UnrepresentableExpiries))]
    public async Task SendAsync_StoredExpiryOutOfRange_RefreshesAndTheRequestSucceeds(string expiresAt)
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        await WriteTokenFileAsync(host, $$"""{"access_token":"at-1-SECRET","token_type":"Bearer","expires_at":{{expiresAt}},"refresh_token":"{{Refresh1}}","issued_at":{{expiresAt}}}""");
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.ApiAccepts(Access2);

        var first = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var second = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Contains("refresh_token=" + Refresh1, RefreshBody(host), StringComparison.Ordinal);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access2, e.RequestMessage.Headers!["Authorization"].Single()));
        Assert.Equal(Refresh2, (await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task SendAsync_StoredExpiryIsMinValue_RefreshesAndTheRequestSucceeds()
    {
        await using var host = AuthTestHost.Start();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet("at-1-" + AuthTestHost.SecretMarker, DateTimeOffset.MinValue) { RefreshToken = Refresh1, IssuedAt = DateTimeOffset.MaxValue });
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.ApiAccepts(Access2);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task SendAsync_StoredRefreshTokenExpiryOutOfRange_SignsOutOnceWithoutCallingTheServer()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        await WriteTokenFileAsync(host, $$"""{"access_token":"at-1-SECRET","expires_at":"0001-01-01T00:00:00+05:00","refresh_token":"{{Refresh1}}","refresh_token_expires_at":"0001-01-01T00:00:00+05:00"}""");
        var signals = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, args) => signals.Add(args.Reason);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([SignInRequiredReason.RefreshTokenExpired], signals);
        Assert.Equal(0, host.TokenCalls);
        Assert.Empty(host.Api.LogEntries);
    }

    public static TheoryData<string, string> UnsendableTokens => new()
    {
        { "at\r\nX-Injected: yes", "Bearer" },
        { "at\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x", "Bearer" },
        { "at with space", "Bearer" },
        { " ", "Bearer" },
        { "t\u00f8ken", "Bearer" },
        { "at-1", "mac" },
        { "at-1", "Bearer\r\nX-Injected: yes" },
    };

    // Bounded: against a library that sends such a token, the smuggled request can leave the
    // API connection waiting, and the test must fail rather than hang.
    [Theory(Timeout = 30_000)]
    [MemberData(nameof(UnsendableTokens))]
    public async Task SendAsync_StoredAccessTokenCannotBeSent_IsRefreshedAndNeverReachesTheApi(string accessToken, string tokenType)
    {
        await using var host = AuthTestHost.Start();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(accessToken, host.Time.GetUtcNow().AddHours(1)) { TokenType = tokenType, RefreshToken = Refresh1 });
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.ApiAccepts(Access2);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        var received = Assert.Single(host.Api.LogEntries).RequestMessage;
        Assert.Equal("Bearer " + Access2, received.Headers!["Authorization"].Single());
        Assert.DoesNotContain(received.Headers!.Keys, name => name.Equals("X-Injected", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("/data", received.Path);
    }

    [Fact]
    public async Task SendAsync_StoredTokenFileWithCrLfAccessTokenAndNoRefreshToken_IsSignedOutWithoutSending()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        await WriteTokenFileAsync(host, """{"access_token":"at\r\nX-Injected: yes","expires_at":"2026-01-01T13:00:00+00:00"}""");
        var signals = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, args) => signals.Add(args.Reason);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(host.Api.LogEntries);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal([SignInRequiredReason.NoRefreshToken], signals);
    }

    [Fact]
    public async Task SendAsync_StoredAccessTokenCannotBeSentAndRefreshFails_ThrowsTransientAndSendsNothing()
    {
        await using var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 0);
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet("at\r\nX-Injected: yes", host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 });
        host.TokenEndpointAnswers(new { error = "temporarily_unavailable" }, 503);
        host.ApiAccepts(Access2);

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.True(ex.IsTransient);
        Assert.Empty(host.Api.LogEntries);
        Assert.Null(host.Session.AccessTokenExpiresAt);
    }
}
