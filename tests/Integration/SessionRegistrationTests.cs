using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Refit;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Sessions registered on their own (<c>AddDeviceAuthSession</c>) and attached to clients by name
/// (<c>AddDeviceAuthHandler(sessionName)</c>): sign-in with no HTTP client, one sign-in shared by
/// several clients with a request policy each, and a Refit client under a short name.
/// </summary>
public sealed class SessionRegistrationTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    private static string? Header(WireMock.Logging.ILogEntry entry, string name) =>
        entry.RequestMessage.Headers!.TryGetValue(name, out var values) ? values.Single() : null;

    [Fact]
    public async Task AddDeviceAuthSession_NoHttpClient_SignsInStoresTokensAndSignsOut()
    {
        await using var host = AuthTestHost.Start(apiClient: false);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access1, Refresh1));
        host.Provider.GetRequiredService<IStartupValidator>().Validate();
        string? shownCode = null;

        var signIn = host.Session.SignInAsync(args => { shownCode = args.UserCode; return ValueTask.CompletedTask; }, TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5), 1);
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await signIn;

        Assert.Equal("ABCD-EFGH", shownCode);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal(Access1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))?.AccessToken);
        Assert.Contains("client_id=cli", host.Idp.LogEntries.Single(e => e.RequestMessage.Path == "/device").RequestMessage.Body, StringComparison.Ordinal);

        await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Empty(host.Api.LogEntries);

        // No client of the app's own exists, and none with a made-up address.
        var clients = host.Provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(AuthTestHost.ClientName);
        Assert.Empty(clients.HttpClientActions);
        Assert.Empty(clients.HttpMessageHandlerBuilderActions);
    }

    [Fact]
    public void AddDeviceAuthSession_FromConfiguration_BindsOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Good:Authority"] = "https://id.example.com",
            ["Good:ClientId"] = "from-config",
            ["Good:TokenEndpoint"] = "https://id.example.com/token",
            ["Good:DeviceHeaders:Enabled"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddDeviceAuthSession("good", configuration.GetSection("Good")).UseMemoryTokenStore();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var session = provider.GetRequiredKeyedService<DeviceAuthSession>("good");

        Assert.Equal("good", session.Name);
        Assert.EndsWith("|from-config|", session.StoreKey, StringComparison.Ordinal);
        Assert.False(provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get("good").DeviceHeaders.Enabled);
    }

    [Fact]
    public async Task TwoClientsAttachedToOneSession_ShareItsSignInAndEachPinsItsOwnOrigin()
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        AuthTestHost? self = null;
        await using var host = self = AuthTestHost.Start(services: s =>
        {
            s.AddHttpClient("first", c => c.BaseAddress = new Uri(self!.Api.Url!)).AddDeviceAuthHandler(AuthTestHost.ClientName);
            s.AddHttpClient("second", c => c.BaseAddress = new Uri(other.Url!)).AddDeviceAuthHandler(AuthTestHost.ClientName);
        });
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        var factory = host.Provider.GetRequiredService<IHttpClientFactory>();

        await factory.CreateClient("first").GetAsync("/data", TestContext.Current.CancellationToken);
        await factory.CreateClient("second").GetAsync("/x", TestContext.Current.CancellationToken);

        // Second's pin is its own: first's origin (the API) is not second's, and the reverse.
        await factory.CreateClient("second").GetAsync(host.Api.Url + "/data", TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + Access1, Header(host.Api.LogEntries[0], "Authorization"));
        Assert.Equal("Bearer " + Access1, Header(other.LogEntries.Single(), "Authorization"));
        Redirects.AssertCarriesNothingOfOurs(host.Api.LogEntries[1]);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task AttachedClient_OwnOptions_ChangeOnlyItsRequestPolicy()
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start(services: s =>
            s.AddHttpClient("proxy", c => c.BaseAddress = new Uri(other.Url!))
                .AddDeviceAuthHandler(AuthTestHost.ClientName, c => c.AuthorizationHeaderName = "Proxy-Authorization"));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient("proxy").GetAsync("/x", TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + Access1, Header(host.Api.LogEntries.Single(), "Authorization"));
        var proxied = other.LogEntries.Single();
        Assert.Equal("Bearer " + Access1, Header(proxied, "Proxy-Authorization"));
        Assert.Null(Header(proxied, "Authorization"));
    }

    [Fact]
    public async Task AddDeviceAuthHandler_UnregisteredSession_FailsAtStartNamingTheFix()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com/")).AddDeviceAuthHandler("github");
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("no device-auth session 'github' is registered", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddDeviceAuthSession(\"github\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDeviceAuthHandler_SecondSessionForTheSameClient_Throws()
    {
        var services = new ServiceCollection();
        var client = services.AddHttpClient("api");
        client.AddDeviceAuthHandler("one");

        var ex = Assert.Throws<InvalidOperationException>(() => client.AddDeviceAuthHandler("two"));

        Assert.Contains("already has the device-auth handler of session 'one'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefitClient_AttachedByName_LogsAndMetricsUseTheShortName()
    {
        AuthTestHost? self = null;
        string? refitClientName = null;
        await using var host = self = AuthTestHost.Start(services: s =>
        {
            s.AddDeviceAuthSession("github", o =>
            {
                o.Authority = self!.Idp.Url;
                o.ClientId = AuthTestHost.ClientId;
                o.TokenEndpoint = self.TokenEndpoint;
            });
            refitClientName = s.AddRefitGeneratedClient<IRefitProtectedApi>(RefitJsonContext.Default)
                .ConfigureHttpClient(c => c.BaseAddress = new Uri(self!.Api.Url!))
                .AddDeviceAuthHandler("github")
                .Name;
        });
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        using var retries = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.request.retries");
        using var refreshes = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), DeviceAuthDiagnostics.MeterName, "authhandler.refresh.count");
        var github = host.Provider.GetRequiredKeyedService<DeviceAuthSession>("github");

        // Access1 is rejected: one refresh, one retry with Access2.
        var response = await host.Provider.GetRequiredService<IRefitProtectedApi>().GetDataAsync(TestContext.Current.CancellationToken);
        await github.WhenRefreshCompleted();

        Assert.Contains(nameof(IRefitProtectedApi), refitClientName, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access2, Header(host.Api.LogEntries[^1], "Authorization"));
        Assert.Equal("github", github.Name);
        Assert.Equal("github", Assert.Single(retries.GetMeasurementSnapshot()).Tags["authhandler.client"]);
        Assert.All(refreshes.GetMeasurementSnapshot(), m => Assert.Equal("github", m.Tags["authhandler.client"]));
        Assert.NotEmpty(refreshes.GetMeasurementSnapshot());
        var named = host.Logs.GetSnapshot()
            .SelectMany(r => r.StructuredState ?? [])
            .Where(kv => kv.Key == "ClientName")
            .Select(kv => kv.Value)
            .ToList();
        Assert.Contains("github", named);
        Assert.DoesNotContain(named, n => n!.Contains(nameof(IRefitProtectedApi), StringComparison.Ordinal));
    }
}
