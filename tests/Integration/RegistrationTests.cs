using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

public sealed class RegistrationTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    public static TheoryData<string, string> InvalidOptions => new()
    {
        { "no-authority", "Authority" },
        { "no-client-id", "ClientId" },
        { "http-authority", "must use https" },
        { "http-token-endpoint", "TokenEndpoint 'http://id.example.com/token' must be an absolute https URL" },
        { "negative-skew", "ExpirySkew must not be negative" },
        { "bad-origin", "is not an origin" },
        { "http-origin", "must use https" },
        { "secret-missing", "needs a ClientSecret" },
        { "bad-header", "not a valid header name" },
        { "dpop-bearer-scheme", "AuthorizationScheme 'Bearer' must be left unset (or be DPoP)" },
        { "browser-timeout-too-long", "Browser.Timeout must be positive and at most 24 hours" },
        { "browser-path-dot-segment", "Browser.RedirectPath must start with '/'" },
        { "browser-path-encoded-by-browsers", "Browser.RedirectPath must start with '/'" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task Validate_InvalidOptions_FailAtStartWithClearMessage(string problem, string expected)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "https://id.example.com";
                o.ClientId = "cli";
                o.TokenEndpoint = new Uri("https://id.example.com/token");
                o.DeviceHeaders.Enabled = false;
                switch (problem)
                {
                    case "no-authority": o.Authority = null; break;
                    case "no-client-id": o.ClientId = null; break;
                    case "http-authority": o.Authority = "http://id.example.com"; break;
                    case "http-token-endpoint": o.TokenEndpoint = new Uri("http://id.example.com/token"); break;
                    case "negative-skew": o.ExpirySkew = TimeSpan.FromSeconds(-1); break;
                    case "bad-origin": o.AllowedOrigins.Add("https://x.example.com/path"); break;
                    case "http-origin": o.AllowedOrigins.Add("http://x.example.com"); break;
                    case "secret-missing": o.ClientAuthentication = ClientAuthenticationMethod.ClientSecretPost; break;
                    case "bad-header": o.AuthorizationHeaderName = "Bad Header"; break;
                    case "dpop-bearer-scheme": o.DPoP.Enabled = true; o.AuthorizationScheme = "Bearer"; break;
                    case "browser-timeout-too-long": o.Browser.Timeout = TimeSpan.MaxValue; break;
                    case "browser-path-dot-segment": o.Browser.RedirectPath = "/a/../callback"; break;
                    case "browser-path-encoded-by-browsers": o.Browser.RedirectPath = "/call<back>"; break;
                }
            });
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var atFirstUse = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<DeviceAuthSession>("api"));

        Assert.Contains(expected, atStart.Message, StringComparison.Ordinal);
        Assert.Contains(expected, atFirstUse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_NoBaseAddressAndNoAllowedOrigins_PassesAtStart()
    {
        // The origin is pinned by the first request: nothing about it is known, or needed, at start.
        var services = new ServiceCollection();
        services.AddHttpClient("api").AddDeviceAuthHandler(o =>
        {
            o.Authority = "https://id.example.com";
            o.ClientId = "cli";
            o.TokenEndpoint = new Uri("https://id.example.com/token");
            o.DeviceHeaders.Enabled = false;
        });
        using var provider = services.BuildServiceProvider();

        Assert.Null(Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate()));
    }

    [Fact]
    public async Task Validate_LoopbackHttp_PassesAtStartAndAtFirstUse()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("http://127.0.0.1:5000/"))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = "http://localhost:5001";
                o.ClientId = "cli";
                o.TokenEndpoint = new Uri("http://localhost:5001/token");
            });
        using var provider = services.BuildServiceProvider();

        Assert.Null(Record.Exception(() => provider.GetRequiredService<IStartupValidator>().Validate()));
        Assert.Null(Record.Exception(() => provider.GetRequiredKeyedService<DeviceAuthSession>("api")));
    }

    [Fact]
    public async Task AddDeviceAuthHandler_FromConfiguration_BindsOptions()
    {
        await using var host = AuthTestHost.Start();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Authority"] = host.Idp.Url,
            ["Auth:ClientId"] = "from-config",
            ["Auth:TokenEndpoint"] = host.TokenEndpoint.ToString(),
            ["Auth:ExpirySkew"] = "00:00:10",
            ["Auth:DeviceHeaders:Enabled"] = "false",
            ["Auth:AllowedOrigins:0"] = "https://files.example.com",
        }).Build();
        var services = new ServiceCollection();
        services.AddHttpClient("configured", c => c.BaseAddress = new Uri(host.Api.Url!))
            .AddDeviceAuthHandler(configuration.GetSection("Auth"));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var options = provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get("configured");

        Assert.Equal("from-config", options.ClientId);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ExpirySkew);
        Assert.False(options.DeviceHeaders.Enabled);
        Assert.Equal(["https://files.example.com"], options.AllowedOrigins);
        Assert.EndsWith("|from-config|", provider.GetRequiredKeyedService<DeviceAuthSession>("configured").StoreKey, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDeviceAuthHandler_ConfigurationWithUnknownKey_IsRejected()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Authority"] = "https://id.example.com",
            ["Auth:ClientId"] = "cli",
            ["Auth:TokenEndpoint"] = "https://id.example.com/token",
            ["Auth:ClientIdd"] = "typo",
        }).Build();
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(configuration.GetSection("Auth"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get("api"));

        Assert.Contains("ClientIdd", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddDeviceAuthHandler_TypedClient_UsesSessionNamedAfterTheClient()
    {
        await using var host = AuthTestHost.Start(services: s =>
            s.AddHttpClient<TypedApi>(c => c.BaseAddress = new Uri("http://127.0.0.1:1/"))
                .AddDeviceAuthHandler(o =>
                {
                    o.Authority = "http://127.0.0.1:2";
                    o.ClientId = "typed";
                    o.TokenEndpoint = new Uri("http://127.0.0.1:2/token");
                    o.DeviceHeaders.Enabled = false;
                }));

        var session = host.Provider.GetRequiredKeyedService<DeviceAuthSession>(nameof(TypedApi));
        var api = host.Provider.GetRequiredService<TypedApi>();

        Assert.Equal(nameof(TypedApi), session.Name);
        Assert.NotSame(host.Session, session);
        Assert.NotNull(api.Client);
    }

    [Fact]
    public async Task HandlerRecycling_KeepsTheSessionAndDoesNotRefresh()
    {
        await using var host = AuthTestHost.Start(client: c => c.SetHandlerLifetime(TimeSpan.FromSeconds(1)).AddHttpMessageHandler(() => new CountingHandler()));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        var session = host.Session;
        var firstChain = CountingHandler.Created;

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        // The factory's rotation runs on real timers (the one place tests wait on the real clock):
        // poll, bounded, until it has built a new handler chain.
        for (var i = 0; i < 100 && CountingHandler.Created == firstChain; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
            using var probe = host.Client;
        }

        Assert.True(CountingHandler.Created > firstChain, "the factory built a new handler chain");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Same(session, host.Session);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task AddDeviceAuthHandler_CalledTwice_AddsOneHandlerAndCombinesOptions()
    {
        await using var host = AuthTestHost.Start(client: c => c.AddDeviceAuthHandler(o => o.DeviceHeaders.Platform = "first-call"));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var headers = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.Single(headers["Authorization"]);
        Assert.Equal("first-call", headers["X-Device-Platform"].Single());
    }

    [Fact]
    public async Task ServiceProvider_SyncDispose_EndsTheRefreshInFlightWithObjectDisposedException()
    {
        using var idp = WireMockServer.Start();
        await using var tokenEndpoint = HeldTokenEndpoint.Answer(idp, AuthTestHost.Tokens(Access2, Refresh2));
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri(idp.Url!))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = idp.Url;
                o.ClientId = "cli";
                o.TokenEndpoint = new Uri(idp.Url + "/token");
                o.DeviceHeaders.Enabled = false;

                // Only the disposal can end the held refresh: no attempt timeout, no retry.
                o.BackchannelTimeout = TimeSpan.FromMinutes(10);
                o.BackchannelMaxRetryAttempts = 0;
            })
            .UseMemoryTokenStore();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>("api");
        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");

        // An expired access token (on the real clock, which this provider uses): the request waits for the refresh.
        var now = DateTimeOffset.UtcNow;
        await session.SetTokensAsync(new TokenSet(Access1, now.AddMinutes(-1)) { RefreshToken = Refresh1, IssuedAt = now.AddMinutes(-61) }, TestContext.Current.CancellationToken);
        var request = client.GetAsync("/data", TestContext.Current.CancellationToken);
        await tokenEndpoint.WaitUntilReachedAsync();

        provider.Dispose();

        // Documented on Dispose: the refresh in flight stops and waiting requests get an
        // ObjectDisposedException. The token endpoint never answered, so only the disposal ended it.
        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(() => request.WaitAsync(HeldTokenEndpoint.Patience, TestContext.Current.CancellationToken));
        Assert.Contains(Causes(ex), e => e is OperationCanceledException);
        Assert.Equal(1, tokenEndpoint.Calls);
        Assert.Equal(SessionState.SignedIn, session.State);
        Assert.DoesNotContain(idp.LogEntries, e => e.RequestMessage.Path == "/data");
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private sealed class TypedApi(HttpClient client)
    {
        public HttpClient Client { get; } = client;
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private static int s_created;

        public CountingHandler() => Interlocked.Increment(ref s_created);

        public static int Created => Volatile.Read(ref s_created);
    }
}
