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
    public async Task Redirect_ToAnotherOrigin_CarriesNoToken(int status)
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200).WithBody("elsewhere"));
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Location", foreign.Url + "/landing"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        var headers = foreign.LogEntries.Single().RequestMessage.Headers!;
        Assert.DoesNotContain(headers, h => h.Value.Any(v => v.Contains(AuthTestHost.SecretMarker, StringComparison.Ordinal)));
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
        Assert.DoesNotContain(foreign.LogEntries.Single().RequestMessage.Headers!, h => h.Value.Any(v => v.Contains(AuthTestHost.SecretMarker, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Redirect_WithCustomHeaderName_CarriesNoToken()
    {
        using var foreign = WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/landing")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start(o => o.AuthorizationHeaderName = "X-Api-Token");
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data"))
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", foreign.Url + "/landing"));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        // .NET strips only Authorization on redirects, so with another header name the redirect is
        // handed back to the caller rather than followed with the token.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["X-Api-Token"].Single());
        Assert.Empty(foreign.LogEntries);
    }
}
