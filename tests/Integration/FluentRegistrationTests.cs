using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>The builder <c>AddDeviceAuthHandler</c> returns is the client's <see cref="IHttpClientBuilder"/>: the chain goes on.</summary>
public sealed class FluentRegistrationTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task AddDeviceAuthHandler_ChainedWithStandardResilienceAndAHandler_RetriesThroughTheAuthHandler()
    {
        AuthTestHost? self = null;
        await using var host = self = AuthTestHost.Start(services: s =>
            s.AddHttpClient("chained", c => c.BaseAddress = new Uri(self!.Api.Url!))
                .AddDeviceAuthHandler(AuthTestHost.ClientName)
                .Configure(o => o.RefreshWindow = TimeSpan.FromMinutes(1))
                .AddStandardResilienceHandler(o => o.Retry.Delay = TimeSpan.Zero));
        await host.SeedAsync(Access1);

        // 503 once, then 200: the resilience handler, outside the auth handler, sends twice.
        host.Api.Given(Request.Create().WithPath("/data")).InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(503));
        host.Api.Given(Request.Create().WithPath("/data")).InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithStatusCode(200));
        var client = host.Provider.GetRequiredService<IHttpClientFactory>().CreateClient("chained");

        var response = await client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("Bearer " + Access1, e.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public void AddDeviceAuthHandler_Builder_IsTheClientsBuilderAndKnowsItsSession()
    {
        var services = new ServiceCollection();

        var builder = services.AddHttpClient("api").AddDeviceAuthHandler("shared").AddHttpMessageHandler(() => new PassThrough());
        var deviceAuth = services.AddHttpClient("other").AddDeviceAuthHandler("shared").UseMemoryTokenStore();

        Assert.Equal("api", builder.Name);
        Assert.Equal("other", deviceAuth.Name);
        Assert.Equal("shared", deviceAuth.SessionName);
    }

    private sealed class PassThrough : DelegatingHandler;
}
