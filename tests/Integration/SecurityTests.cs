using System.Net;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

public sealed class SecurityTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Redirect_ToAnotherOrigin_CarriesNoTokenAndNoDeviceHeaders(int status)
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200).WithBody("elsewhere"));
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Location", foreign.Url + "/landing"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var first = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.Equal("Bearer " + Access1, first["Authorization"].Single());
        Assert.Equal(6, first.Keys.Count(k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase)));
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
    }

    [Fact]
    public async Task Redirect_ToAnotherOriginThatAnswers401_IsNotRefreshedOrResentThere()
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(401).WithHeader("WWW-Authenticate", "Bearer"));
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens("at-2-" + AuthTestHost.SecretMarker, "rt-2-" + AuthTestHost.SecretMarker));
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", foreign.Url + "/landing"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.TokenCalls);
        Assert.Single(foreign.LogEntries);
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
    }

    [Fact]
    public async Task Redirect_WithCustomHeaderName_CarriesNoTokenToAnotherOrigin()
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start(o => o.AuthorizationHeaderName = "X-Api-Token");
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", foreign.Url + "/landing"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        // .NET strips only Authorization on redirects; the handler removes the token's own header
        // before each hop, whatever its name.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["X-Api-Token"].Single());
        Assert.DoesNotContain(foreign.LogEntries.Single().RequestMessage.Headers!.Keys, k => k.Equals("X-Api-Token", StringComparison.OrdinalIgnoreCase));
        Redirects.AssertCarriesNothingOfOurs(foreign.LogEntries.Single());
    }

    [Fact]
    public async Task Redirect_WithCustomHeaderNameOnTheSameOrigin_HopCarriesTheToken()
    {
        await using var host = AuthTestHost.Start(o => o.AuthorizationHeaderName = "X-Api-Token");
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/moved"));
        host.Api.Given(Request.Create().WithPath("/moved")).RespondWith(Response.Create().WithStatusCode(200));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hop = host.Api.LogEntries.Single(e => e.RequestMessage.Path == "/moved").RequestMessage.Headers!;
        Assert.Equal("Bearer " + Access1, hop["X-Api-Token"].Single());
    }
}
