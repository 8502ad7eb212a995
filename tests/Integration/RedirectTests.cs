using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The handler follows the API's redirects itself, hop by hop: the origin policy on every hop,
/// the RFC 9110 method rules, a hop limit, and the app's own choice to follow or not.
/// </summary>
public sealed class RedirectTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;
    private const int DeviceHeaderCount = 6;

    private static IEnumerable<ILogEntry> To(WireMockServer server, string path) => server.LogEntries.Where(e => e.RequestMessage.Path == path);

    private static string? Authorization(ILogEntry entry) =>
        entry.RequestMessage.Headers!.TryGetValue("Authorization", out var values) ? values.Single() : null;

    private static int DeviceHeaders(ILogEntry entry) =>
        entry.RequestMessage.Headers!.Keys.Count(k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task Redirect_SameOrigin_HopCarriesTokenAndDeviceHeadersAndNoTokenCalls()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        Redirects.Answer(host.Api, "/data", 302, "/moved");
        host.ApiAccepts(Access1, "/moved");

        for (var i = 0; i < 5; i++)
        {
            var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, host.TokenCalls);
        var hops = To(host.Api, "/moved").ToList();
        Assert.Equal(5, hops.Count);
        Assert.All(hops, hop => Assert.Equal("Bearer " + Access1, Authorization(hop)));
        Assert.All(hops, hop => Assert.Equal(DeviceHeaderCount, DeviceHeaders(hop)));
    }

    [Fact]
    public async Task Redirect_ToAllowedOrigin_HopGetsTokenAndDeviceHeaders()
    {
        using var other = WireMockServer.Start();
        other.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200));
        // The options are built at first use, after Start: the API's own origin can be listed then.
        AuthTestHost? self = null;
        await using var host = self = AuthTestHost.Start(o =>
        {
            o.AllowedOrigins.Add(self!.Api.Url!);
            o.AllowedOrigins.Add(other.Url!);
        });
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/data", 307, other.Url + "/landing");

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hop = other.LogEntries.Single();
        Assert.Equal("Bearer " + Access1, Authorization(hop));
        Assert.Equal(DeviceHeaderCount, DeviceHeaders(hop));
    }

    [Fact]
    public async Task Redirect_BackToAllowedOriginAfterLeavingThem_CarriesNoToken()
    {
        using var foreign = WireMockServer.Start();
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/data", 302, foreign.Url + "/bounce");
        Redirects.Answer(foreign, "/bounce", 307, host.Api.Url + "/admin");
        host.Api.Given(Request.Create().WithPath("/admin")).RespondWith(Response.Create().WithStatusCode(200));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        // The foreign origin chose the last hop's target: it must not get the user's token.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
        Redirects.AssertCarriesNothingOfOurs(To(host.Api, "/admin").Single());
    }

    [Fact]
    public async Task Redirect_OfARequestToAnotherOrigin_IsFollowedWithNothingAdded()
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        Redirects.Answer(foreign, "/start", 302, "/landing");

        // The client's first request pins its origin (no AllowedOrigins): the API's.
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var direct = await host.Client.GetAsync(foreign.Url + "/start", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(2, foreign.LogEntries.Count);
        Assert.All(foreign.LogEntries, Redirects.AssertCarriesNothingOfOurs);
    }

    [Fact]
    public async Task Redirect_307PostWithBufferedBody_ResendsMethodAndBody()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/upload", 307, "/upload2");
        host.Api.Given(Request.Create().WithPath("/upload2")).RespondWith(Response.Create().WithStatusCode(201));

        var response = await host.Client.PostAsync("/upload", new StringContent("payload"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var hop = To(host.Api, "/upload2").Single();
        Assert.Equal("POST", hop.RequestMessage.Method);
        Assert.Equal("payload", hop.RequestMessage.Body);
        Assert.Equal("Bearer " + Access1, Authorization(hop));
    }

    [Fact]
    public async Task Redirect_307PostWithStreamBody_ReturnsThe307AndSendsNothingMore()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/upload", 307, "/upload2");

        var response = await host.Client.PostAsync("/upload", new StreamContent(new MemoryStream("payload"u8.ToArray())), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Empty(To(host.Api, "/upload2"));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 26);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    public async Task Redirect_PostAnswered301Or302Or303_BecomesGetWithoutBody(int status)
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/submit", status, "/result");
        host.Api.Given(Request.Create().WithPath("/result")).RespondWith(Response.Create().WithStatusCode(200));

        var response = await host.Client.PostAsync("/submit", new StringContent("payload"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hop = To(host.Api, "/result").Single();
        Assert.Equal("GET", hop.RequestMessage.Method);
        Assert.True(string.IsNullOrEmpty(hop.RequestMessage.Body));
        Assert.Equal("Bearer " + Access1, Authorization(hop));
    }

    [Fact]
    public async Task Redirect_HopLimitReached_ReturnsTheLast3xx()
    {
        await using var host = AuthTestHost.Start(client: c => c.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { MaxAutomaticRedirections = 3 }));
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/loop", 302, "/loop");

        var response = await host.Client.GetAsync("/loop", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(4, To(host.Api, "/loop").Count());
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 26);
    }

    [Fact]
    public async Task Redirect_DefaultHopLimit_Is50LikeSocketsHttpHandler()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/loop", 307, "/loop");

        var response = await host.Client.GetAsync("/loop", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal(51, To(host.Api, "/loop").Count());
    }

    [Fact]
    public async Task Redirect_AppTurnedAutoRedirectOff_Returns3xxToCaller()
    {
        using var foreign = WireMockServer.Start();
        await using var host = AuthTestHost.Start(client: c => c.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false }));
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/data", 302, "/moved");
        Redirects.Answer(host.Api, "/other", 307, foreign.Url + "/landing");

        var same = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var cross = await host.Client.GetAsync("/other", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Found, same.StatusCode);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, cross.StatusCode);
        Assert.Empty(To(host.Api, "/moved"));
        Assert.Empty(foreign.LogEntries);
    }

    [Fact]
    public async Task Redirect_AppEnablesAutoRedirectForAllClients_HandlerStillFollowsWithTheOriginPolicy()
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start(services: s =>
            s.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = true })));
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/data", 302, "/moved");
        host.ApiAccepts(Access1, "/moved");
        Redirects.Answer(host.Api, "/other", 307, foreign.Url + "/landing");

        var same = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        var cross = await host.Client.GetAsync("/other", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal("Bearer " + Access1, Authorization(To(host.Api, "/moved").Single()));
        Assert.Equal(HttpStatusCode.OK, cross.StatusCode);
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task Redirect_SameOriginHopAnswers401_RefreshesOnceAndResendsThatHop()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        Redirects.Answer(host.Api, "/data", 302, "/moved");
        host.ApiAccepts(Access2, "/moved");

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(["Bearer " + Access1, "Bearer " + Access2], To(host.Api, "/moved").Select(Authorization));
    }

    [Fact]
    public async Task Redirect_401OnTwoHops_RefreshesAndResendsOnlyOnce()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointSequence((200, AuthTestHost.Tokens(Access2, Refresh2)), (200, AuthTestHost.Tokens("at-3-" + AuthTestHost.SecretMarker, "rt-3-" + AuthTestHost.SecretMarker)));
        host.Api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer " + Access2)).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/moved"));
        host.Api.Given(Request.Create().WithPath("/data")).AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        host.Api.Given(Request.Create().WithPath("/moved"))
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\""));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        // Invariant 7: one re-send per request, not one per hop.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Single(To(host.Api, "/moved"));
    }

    [Fact]
    public async Task Redirect_Followed_ResponseNamesTheFinalTarget()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Api, "/data", 308, "/moved?x=1");
        host.ApiAccepts(Access1, "/moved");

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Uri(host.Api.Url + "/moved?x=1"), response.RequestMessage!.RequestUri);
    }
}
