using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

public sealed class DiscoveryTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;
    private const string Rfc8414 = "/.well-known/oauth-authorization-server";
    private const string Oidc = "/.well-known/openid-configuration";

    private static AuthTestHost StartWithDiscovery(Action<DeviceAuthOptions>? configure = null, Action<IServiceCollection>? services = null) => AuthTestHost.Start(
        o =>
        {
            o.TokenEndpoint = null;
            o.DeviceAuthorizationEndpoint = null;
            o.BackchannelMaxRetryAttempts = 0;
            configure?.Invoke(o);
        },
        services);

    private static void ServeMetadata(AuthTestHost host, string path, string? issuer = null, bool revocation = false) =>
        host.Idp.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(Metadata(host, issuer, revocation)));

    /// <summary>The RFC 8414 document, answered only once the test releases it.</summary>
    private static HeldTokenEndpoint HoldMetadata(AuthTestHost host) =>
        HeldTokenEndpoint.Answer(host, host.Idp.Given(Request.Create().WithPath(Rfc8414).UsingGet()), Metadata(host));

    private static object Metadata(AuthTestHost host, string? issuer = null, bool revocation = false) => new
    {
        issuer = issuer ?? host.Idp.Url,
        token_endpoint = host.Idp.Url + "/oauth/token",
        device_authorization_endpoint = host.Idp.Url + "/oauth/device",
        revocation_endpoint = revocation ? host.Idp.Url + "/oauth/revoke" : null,
        grant_types_supported = new[] { "urn:ietf:params:oauth:grant-type:device_code", "refresh_token" },
    };

    private static int Calls(AuthTestHost host, string path) => host.Idp.LogEntries.Count(e => e.RequestMessage.Path == path);

    /// <summary>An RFC 8414 document that names /oauth/token, which refreshes Access1 to Access2.</summary>
    private static async Task ServeRefreshThroughDiscoveryAsync(AuthTestHost host)
    {
        ServeMetadata(host, Rfc8414);
        host.Idp.Given(Request.Create().WithPath("/oauth/token")).RespondWith(Response.Create().WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
    }

    [Fact]
    public async Task Refresh_Rfc8414Document_GivesTheTokenEndpoint()
    {
        await using var host = StartWithDiscovery();
        await ServeRefreshThroughDiscoveryAsync(host);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Calls(host, "/oauth/token"));
        Assert.Equal(0, Calls(host, Oidc));
    }

    [Fact]
    public async Task SignIn_OnlyOidcDocument_FallsBackToIt()
    {
        await using var host = StartWithDiscovery();
        ServeMetadata(host, Oidc);
        host.Idp.Given(Request.Create().WithPath("/oauth/device")).RespondWith(Response.Create().WithBodyAsJson(new { error = "invalid_client" }).WithStatusCode(401));

        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.Rejected, ex.Failure);
        Assert.Equal(1, Calls(host, Rfc8414));
        Assert.Equal(1, Calls(host, Oidc));
        Assert.Equal(1, Calls(host, "/oauth/device"));
    }

    [Fact]
    public async Task Refresh_IssuerMismatch_IsAConfigurationErrorAndKeepsTokens()
    {
        await using var host = StartWithDiscovery();
        ServeMetadata(host, Rfc8414, issuer: "https://evil.example.com");
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.ClientConfiguration, ex.Failure);
        Assert.Contains("evil.example.com", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, Calls(host, "/oauth/token"));
        Assert.NotNull(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SignIn_IssuerMismatch_IsRefused()
    {
        await using var host = StartWithDiscovery();
        ServeMetadata(host, Oidc, issuer: host.Idp.Url + "/other");

        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.Unavailable, ex.Failure);
        Assert.Contains("issuer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_ProxyPageInsteadOfDiscoveryDocument_IsTransient()
    {
        await using var host = StartWithDiscovery();
        host.Idp.Given(Request.Create().WithPath(Rfc8414)).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/html").WithBody("<html>Sign in to the Wi-Fi</html>"));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(TokenEndpointFailure.Transient, ex.Failure);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task Discovery_50ConcurrentFirstUses_FetchOnce()
    {
        await using var host = StartWithDiscovery();
        await using var discovery = HoldMetadata(host);
        host.Idp.Given(Request.Create().WithPath("/oauth/device")).RespondWith(Response.Create().WithBodyAsJson(new { error = "invalid_client" }).WithStatusCode(401));

        // SignInAsync asks the discovery cache for the document before it first yields, so when the
        // answer is released all 50 are waiting: on one shared fetch, or, if the cache did not
        // share it, on fetches of their own, which the count below would see.
        var attempts = Enumerable.Range(0, 50).Select(_ => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken)).ToList();
        await discovery.WaitUntilReachedAsync();
        Assert.DoesNotContain(attempts, a => a.IsCompleted);
        discovery.Release();
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAsync<DeviceAuthorizationException>(() => attempt);
        }

        Assert.Equal(1, Calls(host, Rfc8414));
        Assert.Equal(50, Calls(host, "/oauth/device"));
    }

    [Fact]
    public async Task Discovery_FailedFetch_IsNotCached()
    {
        await using var host = StartWithDiscovery();
        host.Idp.Given(Request.Create().WithPath(Rfc8414)).InScenario("d").WillSetStateTo("up").RespondWith(Response.Create().WithStatusCode(503));
        host.Idp.Given(Request.Create().WithPath(Rfc8414)).InScenario("d").WhenStateIs("up").RespondWith(Response.Create().WithBodyAsJson(new
        {
            issuer = host.Idp.Url,
            token_endpoint = host.Idp.Url + "/oauth/token",
        }));
        host.Idp.Given(Request.Create().WithPath("/oauth/token")).RespondWith(Response.Create().WithBodyAsJson(AuthTestHost.Tokens(Access2, Refresh2)));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);

        var first = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));
        var second = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.True(first.IsTransient);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, Calls(host, Rfc8414));
    }

    [Fact]
    public async Task SignOut_AdvertisedRevocationEndpoint_RevokesTheRefreshToken()
    {
        await using var host = StartWithDiscovery();
        ServeMetadata(host, Rfc8414, revocation: true);
        host.Idp.Given(Request.Create().WithPath("/oauth/revoke")).RespondWith(Response.Create().WithStatusCode(200));
        await host.SeedAsync(Access1);

        var result = await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Equal(RevocationResult.Revoked, result);
        var body = host.Idp.LogEntries.Single(e => e.RequestMessage.Path == "/oauth/revoke").RequestMessage.Body!;
        Assert.Contains("token=rt-1-" + AuthTestHost.SecretMarker, body, StringComparison.Ordinal);
        Assert.Contains("token_type_hint=refresh_token", body, StringComparison.Ordinal);
        Assert.Contains("client_id=cli", body, StringComparison.Ordinal);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
    }

    [Fact]
    public async Task Refresh_AppMemoryCacheWithSizeLimit_DiscoversAndRefreshes()
    {
        // The application's own cache, with a size limit: every entry without a size throws there.
        await using var host = StartWithDiscovery(services: s => s.AddMemoryCache(o => o.SizeLimit = 100));
        await ServeRefreshThroughDiscoveryAsync(host);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Calls(host, Rfc8414));
        Assert.Equal(1, Calls(host, "/oauth/token"));
        Assert.Equal("Bearer " + Access2, host.Api.LogEntries[^1].RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task Discovery_CacheDuration_ExpiresOnTheInjectedClock()
    {
        await using var host = StartWithDiscovery(o => o.DiscoveryCacheDuration = TimeSpan.FromMinutes(10));
        ServeMetadata(host, Rfc8414);
        host.Idp.Given(Request.Create().WithPath("/oauth/device")).RespondWith(Response.Create().WithBodyAsJson(new { error = "invalid_client" }).WithStatusCode(401));
        Task SignIn() => Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        await SignIn();
        host.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        await SignIn();
        Assert.Equal(1, Calls(host, Rfc8414));

        host.Time.Advance(TimeSpan.FromTicks(1));
        await SignIn();
        Assert.Equal(2, Calls(host, Rfc8414));
    }

    [Fact]
    public async Task Discovery_TwoClientsOfOneAuthority_ShareOneFetch()
    {
        AuthTestHost? started = null;
        await using var host = StartWithDiscovery(services: s => s.AddHttpClient("second", c => c.BaseAddress = new Uri("http://127.0.0.1:1/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = started!.Idp.Url;
                o.ClientId = "second";
                o.StorageDirectory = started.Directory;
            })
            .UseMemoryTokenStore());
        started = host;
        await using var discovery = HoldMetadata(host);
        host.Idp.Given(Request.Create().WithPath("/oauth/device")).RespondWith(Response.Create().WithBodyAsJson(new { error = "invalid_client" }).WithStatusCode(401));
        var second = host.Provider.GetRequiredKeyedService<DeviceAuthSession>("second");

        // Both sign-ins have asked the cache before they first yield: both wait on the held fetch.
        var first = Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));
        var other = Assert.ThrowsAsync<DeviceAuthorizationException>(() => second.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));
        await discovery.WaitUntilReachedAsync();
        Assert.False(first.IsCompleted || other.IsCompleted);
        discovery.Release();
        await Task.WhenAll(first, other);

        Assert.Equal(1, Calls(host, Rfc8414));
        Assert.Equal(2, Calls(host, "/oauth/device"));
    }
}
