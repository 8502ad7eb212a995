using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Which origin gets the token, decided per request without running the app's code: the listed
/// <see cref="DeviceAuthOptions.AllowedOrigins"/>, or the origin of the client's first request.
/// Each test asserts on what the servers received.
/// </summary>
public sealed class OriginPinningTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const int OriginPinnedEvent = 50;
    private const int FirstOriginRefusedEvent = 51;

    private static string? Authorization(WireMock.Logging.ILogEntry entry) =>
        entry.RequestMessage.Headers!.TryGetValue("Authorization", out var values) ? values.Single() : null;

    private static WireMockServer Answering200()
    {
        var server = WireMockServer.Start();
        server.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        return server;
    }

    [Fact]
    public async Task TypedClient_BaseAddressSetInItsConstructor_GetsTheToken()
    {
        // The most common typed client: the factory runs no code that sets BaseAddress, the
        // constructor does, after the handler chain was built.
        var api = new ApiAddress();
        await using var host = AuthTestHost.Start(services: s =>
        {
            s.AddSingleton(api);
            s.AddHttpClient<ConstructorApi>().AddDeviceAuthHandler(AuthTestHost.ClientName);
        });
        api.Value = new Uri(host.Api.Url!);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Provider.GetRequiredService<ConstructorApi>().GetDataAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, Authorization(host.Api.LogEntries.Single()));
    }

    [Fact]
    public async Task TypedClientOneLiner_BaseAddressSetInItsConstructor_StartsAndGetsTheToken()
    {
        // The same pattern with the session named after the typed client, which used to fail at
        // start ("set the client's BaseAddress or add AllowedOrigins").
        var api = new ApiAddress();
        AuthTestHost? self = null;
        await using var host = self = AuthTestHost.Start(services: s =>
        {
            s.AddSingleton(api);
            s.AddHttpClient<ConstructorApi>().AddDeviceAuthHandler(o =>
            {
                o.Authority = self!.Idp.Url;
                o.ClientId = AuthTestHost.ClientId;
                o.TokenEndpoint = self.TokenEndpoint;
            });
        });
        api.Value = new Uri(host.Api.Url!);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        host.Provider.GetRequiredService<IStartupValidator>().Validate();

        var response = await host.Provider.GetRequiredService<ConstructorApi>().GetDataAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, Authorization(host.Api.LogEntries.Single()));
    }

    [Fact]
    public async Task ConfigureHttpClient_BaseAddress_GetsTheTokenAndTheDelegateRunsOncePerCreatedClient()
    {
        var runs = 0;
        AuthTestHost? self = null;
        await using var host = self = AuthTestHost.Start(services: s =>
            s.AddHttpClient("configured")
                .ConfigureHttpClient(c =>
                {
                    Interlocked.Increment(ref runs);
                    c.BaseAddress = new Uri(self!.Api.Url!);
                })
                .AddDeviceAuthHandler(AuthTestHost.ClientName));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        host.Provider.GetRequiredService<IStartupValidator>().Validate();
        _ = host.Session;
        var factory = host.Provider.GetRequiredService<IHttpClientFactory>();

        for (var i = 0; i < 3; i++)
        {
            using var client = factory.CreateClient("configured");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        }

        // Nothing runs the app's delegate to find the origin (start-up validation, the session,
        // the handler): it runs once for each client the app creates, and no more.
        Assert.Equal(3, runs);
        Assert.Equal(3, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access1, Authorization(e)));
    }

    [Fact]
    public async Task AllowedOriginsFromConfiguration_ListedOriginGetsTheTokenAndAFirstRequestElsewherePinsNothing()
    {
        using var listed = Answering200();
        using var unlisted = Answering200();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Client:AllowedOrigins:0"] = listed.Url,
        }).Build();
        await using var host = AuthTestHost.Start(services: s =>
            s.AddHttpClient("configured").AddDeviceAuthHandler(AuthTestHost.ClientName, c => configuration.GetSection("Client").Bind(c)));
        await host.SeedAsync(Access1);
        using var client = host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient("configured");

        // First to the unlisted origin: with a list, nothing is pinned.
        await client.GetAsync(unlisted.Url + "/first", TestContext.Current.CancellationToken);
        await client.GetAsync(listed.Url + "/data", TestContext.Current.CancellationToken);
        await client.GetAsync(unlisted.Url + "/again", TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + Access1, Authorization(listed.LogEntries.Single()));
        Assert.Equal(2, unlisted.LogEntries.Count);
        Assert.All(unlisted.LogEntries, Redirects.AssertCarriesNothingOfOurs);
    }

    [Fact]
    public async Task SessionAllowedOriginsFromConfiguration_AreTheClientsDefault()
    {
        using var listed = Answering200();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Authority"] = "http://127.0.0.1:1",
            ["Auth:ClientId"] = AuthTestHost.ClientId,
            ["Auth:AllowedOrigins:0"] = listed.Url,
        }).Build();
        await using var host = AuthTestHost.Start(client: c => c.AddDeviceAuthHandler(configuration.GetSection("Auth")));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync(listed.Url + "/data", TestContext.Current.CancellationToken);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + Access1, Authorization(listed.LogEntries.Single()));
        Redirects.AssertCarriesNothingOfOurs(host.Api.LogEntries.Single());
    }

    [Fact]
    public async Task AfterPinning_RequestToAnotherLoopbackPort_GetsNoTokenNoDeviceHeadersAndOneWarning()
    {
        using var other = Answering200();
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data?code=" + AuthTestHost.SecretMarker, TestContext.Current.CancellationToken);
        await host.Client.GetAsync(other.Url + "/x?code=" + AuthTestHost.SecretMarker, TestContext.Current.CancellationToken);
        await host.Client.GetAsync(other.Url + "/y", TestContext.Current.CancellationToken);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(2, other.LogEntries.Count);
        Assert.All(other.LogEntries, Redirects.AssertCarriesNothingOfOurs);
        Assert.Equal(2, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access1, Authorization(e)));

        // Logged: the pinned origin once at Information, the first refusal at Warning, origins
        // only (the disposal's scan finds no SECRET from the query strings).
        var logs = host.Logs.GetSnapshot();
        var pinned = Assert.Single(logs, r => r.Id.Id == OriginPinnedEvent);
        Assert.Equal(LogLevel.Information, pinned.Level);
        Assert.Equal(host.Api.Url, pinned.StructuredState!.Single(kv => kv.Key == "Origin").Value);
        var refused = Assert.Single(logs, r => r.Id.Id == FirstOriginRefusedEvent);
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Equal(other.Url, refused.StructuredState!.Single(kv => kv.Key == "Origin").Value);
    }

    [Fact]
    public async Task ConcurrentFirstRequestsToTwoOrigins_ExactlyOneOriginEverGetsTokens()
    {
        using var a = Answering200();
        using var b = Answering200();
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        var client = host.Client;

        // Released together on the thread pool: whichever reaches the handler first pins its
        // origin for good. (OriginSetTests races threads on a barrier for the atomicity itself.)
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 20)
            .Select(i => Task.Run(async () =>
            {
                await go.Task;
                return await client.GetAsync((i % 2 == 0 ? a.Url : b.Url) + "/race", TestContext.Current.CancellationToken);
            }))
            .ToList();
        go.SetResult();
        await Task.WhenAll(calls);
        await client.GetAsync(a.Url + "/after", TestContext.Current.CancellationToken);
        await client.GetAsync(b.Url + "/after", TestContext.Current.CancellationToken);

        var withToken = new[] { a, b }.Where(s => s.LogEntries.Any(e => Authorization(e) is not null)).ToList();
        var winner = Assert.Single(withToken);
        var loser = winner == a ? b : a;
        Assert.Equal(11, winner.LogEntries.Count);
        Assert.All(winner.LogEntries, e => Assert.Equal("Bearer " + Access1, Authorization(e)));
        Assert.Equal(11, loser.LogEntries.Count);
        Assert.All(loser.LogEntries, Redirects.AssertCarriesNothingOfOurs);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == OriginPinnedEvent);
    }

    private sealed class ApiAddress
    {
        public Uri? Value { get; set; }
    }

    private sealed class ConstructorApi
    {
        private readonly HttpClient _client;

        public ConstructorApi(HttpClient client, ApiAddress address)
        {
            _client = client;
            _client.BaseAddress = address.Value;
        }

        public Task<HttpResponseMessage> GetDataAsync() => _client.GetAsync(new Uri("/data", UriKind.Relative), TestContext.Current.CancellationToken);
    }
}
