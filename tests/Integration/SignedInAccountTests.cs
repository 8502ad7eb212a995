using System.Text;
using System.Text.Json;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The stored sign-in without a request: the ID token kept from the token endpoint (through the
/// file store and across refreshes), and the account read from the store with no network call.
/// </summary>
public sealed class SignedInAccountTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    /// <summary>An unsigned-looking ID token whose signature part carries the marker, so any leak of the token is found.</summary>
    private static string IdToken(string subject, string name) =>
        "eyJhbGciOiJSUzI1NiJ9." + Base64Url($$"""{"iss":"https://id.example.com","sub":"{{subject}}","name":"{{name}}","preferred_username":"{{subject}}@example.com","email":"{{subject}}@mail.example.com"}""") + "." + AuthTestHost.SecretMarker + "sig";

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static TokenSet Tokens(AuthTestHost host, string accessToken, string? idToken, TimeSpan? lifetime = null) =>
        new(accessToken, host.Time.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1)))
        {
            RefreshToken = Refresh1,
            RefreshTokenExpiresAt = host.Time.GetUtcNow().AddDays(30),
            Scope = "openid profile read",
            IssuedAt = host.Time.GetUtcNow(),
            IdToken = idToken,
        };

    [Fact]
    public async Task SetTokensAsync_WithIdToken_FileStoreWritesAndReadsItBack()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var idToken = IdToken("alice", "Alice");

        await host.Session.SetTokensAsync(Tokens(host, Access1, idToken), TestContext.Current.CancellationToken);

        var read = await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(idToken, read!.IdToken);
        using var file = JsonDocument.Parse(await File.ReadAllBytesAsync(host.FileStore.PathFor(host.Session.StoreKey), TestContext.Current.CancellationToken));
        Assert.Equal(idToken, file.RootElement.GetProperty("id_token").GetString());
        Assert.DoesNotContain(AuthTestHost.SecretMarker, read.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_TokenFileWrittenBeforeIdTokensWereKept_ReadsWithoutIdToken()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        Directory.CreateDirectory(host.Directory);
        await File.WriteAllTextAsync(
            host.FileStore.PathFor(host.Session.StoreKey),
            $$"""{"version":1,"access_token":"{{Access1}}","token_type":"Bearer","expires_at":"2026-01-01T13:00:00+00:00","refresh_token":"{{Refresh1}}","scope":"read"}""",
            TestContext.Current.CancellationToken);

        var account = await host.Session.GetAccountAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(account);
        Assert.Null(account.Subject);
        Assert.Equal(["read"], account.Scopes);
        Assert.Null((await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.IdToken);
    }

    [Fact]
    public async Task Refresh_AnswerWithoutIdToken_KeepsThePreviousIdToken()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var idToken = IdToken("alice", "Alice");
        await host.Session.SetTokensAsync(Tokens(host, Access1, idToken, TimeSpan.FromMinutes(10)), TestContext.Current.CancellationToken);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(Access2, (await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken)).Value);

        var stored = await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Access2, stored!.AccessToken);
        Assert.Equal(idToken, stored.IdToken);
        Assert.Equal("alice", (await host.Session.GetAccountAsync(TestContext.Current.CancellationToken))!.Subject);
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task Refresh_AnswerWithIdToken_ReplacesTheIdToken()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        await host.Session.SetTokensAsync(Tokens(host, Access1, IdToken("alice", "Alice"), TimeSpan.FromMinutes(10)), TestContext.Current.CancellationToken);
        var renewed = IdToken("alice", "Alice Renewed");
        host.TokenEndpointAnswers(new { access_token = Access2, token_type = "Bearer", expires_in = 3600, refresh_token = Refresh2, id_token = renewed });
        host.Time.Advance(TimeSpan.FromMinutes(11));

        await host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(renewed, (await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.IdToken);
        Assert.Equal("Alice Renewed", (await host.Session.GetAccountAsync(TestContext.Current.CancellationToken))!.Name);
    }

    [Fact]
    public async Task SignInAsync_TokenResponseWithIdToken_AccountNamesTheUser()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(new { access_token = Access1, token_type = "Bearer", expires_in = 3600, refresh_token = Refresh1, scope = "openid read", id_token = IdToken("bob", "Bob") });

        var signIn = host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await signIn;
        var account = await host.Session.GetAccountAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(account);
        Assert.Equal("bob", account.Subject);
        Assert.Equal("Bob", account.Name);
        Assert.Equal("bob@example.com", account.PreferredUsername);
        Assert.Equal("bob@mail.example.com", account.Email);
        Assert.Equal("https://id.example.com", account.Issuer);
        Assert.Equal(["openid", "read"], account.Scopes);
        Assert.Equal(host.Time.GetUtcNow().AddHours(1), account.AccessTokenExpiresAt);
        Assert.True(account.HasRefreshToken);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, account.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAccountAsync_ExpiredTokensStored_MakesNoNetworkCallAndSettlesStateSignedIn()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var writer = new FileTokenStore(host.Directory);
        await AuthTestHost.WriteAsync(writer, host.Session.StoreKey, Tokens(host, Access1, IdToken("alice", "Alice"), TimeSpan.FromMinutes(10)));
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // The token endpoint is down: the account is read from the store all the same.
        host.Idp.Stop();
        var account = await host.Session.GetAccountAsync(TestContext.Current.CancellationToken);
        await host.Session.WhenRefreshCompleted();

        Assert.NotNull(account);
        Assert.Equal("alice", account.Subject);
        Assert.Equal(["openid", "profile", "read"], account.Scopes);
        Assert.True(account.AccessTokenExpiresAt < host.Time.GetUtcNow());
        Assert.Equal(host.Time.GetUtcNow().AddDays(30) - TimeSpan.FromMinutes(11), account.RefreshTokenExpiresAt);
        Assert.Empty(host.Idp.LogEntries);
        Assert.Empty(host.Api.LogEntries);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task GetAccountAsync_NothingStored_ReturnsNullAndTheFirstRequestStillSignals()
    {
        await using var host = AuthTestHost.Start();
        var signals = 0;
        host.Session.SignInRequired += (_, _) => Interlocked.Increment(ref signals);

        var account = await host.Session.GetAccountAsync(TestContext.Current.CancellationToken);
        var state = host.Session.State;
        await Assert.ThrowsAsync<SignInRequiredException>(() => host.Session.GetAccessTokenAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Null(account);
        Assert.Equal(SessionState.Unknown, state);
        Assert.Equal(1, signals);
        Assert.Empty(host.Idp.LogEntries);
    }

    [Fact]
    public async Task GetAccountAsync_AfterSignOut_ReturnsNull()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        await host.Session.SetTokensAsync(Tokens(host, Access1, IdToken("alice", "Alice")), TestContext.Current.CancellationToken);

        await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.True(File.Exists(host.FileStore.PathFor(host.Session.StoreKey)), "a sign-out record stays");
        Assert.Null(await host.Session.GetAccountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetAccountAsync_TokenFileCorrupted_ThrowsTokenStoreExceptionWithoutTheContent()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        Directory.CreateDirectory(host.Directory);
        await File.WriteAllTextAsync(host.FileStore.PathFor(host.Session.StoreKey), "{\"access_token\": \"" + AuthTestHost.SecretMarker, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => host.Session.GetAccountAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(SessionState.Unknown, host.Session.State);
    }

    [Fact]
    public async Task GetAccountAsync_MalformedIdToken_AccountWithoutClaims()
    {
        await using var host = AuthTestHost.Start();
        await host.Session.SetTokensAsync(Tokens(host, Access1, "not-a-jwt-" + AuthTestHost.SecretMarker), TestContext.Current.CancellationToken);

        var account = await host.Session.GetAccountAsync(TestContext.Current.CancellationToken);

        Assert.NotNull(account);
        Assert.Null(account.Subject);
        Assert.Null(account.Name);
        Assert.True(account.HasRefreshToken);
    }
}
