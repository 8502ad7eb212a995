using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class SetTokensTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;

    public static TheoryData<string, string> Invalid => new()
    {
        { "at\r\nX-Injected: yes", "Bearer" },
        { "at\nX-Injected: yes", "Bearer" },
        { "at with space", "Bearer" },
        { " ", "Bearer" },
        { "=", "Bearer" },
        { "t\u00f8ken", "Bearer" },
        { "at\u0000", "Bearer" },
        { "at-2", "mac" },
        { "at-2", "Bearer\r\nX-Injected: yes" },
        { "at-2", "" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task SetTokensAsync_TokenThatCannotBeSent_ThrowsAndKeepsTheStoreAndSessionAsTheyWere(string accessToken, string tokenType)
    {
        await using var host = AuthTestHost.Start();
        host.ApiAccepts(Access1);
        var valid = new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 };
        await host.Session.SetTokensAsync(valid, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => host.Session.SetTokensAsync(
            new TokenSet(accessToken, host.Time.GetUtcNow().AddHours(2)) { TokenType = tokenType, RefreshToken = "rt-2" },
            TestContext.Current.CancellationToken));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal("tokens", ex.ParamName);
        Assert.Same(valid, await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(host.Api.LogEntries).RequestMessage;
        Assert.Equal("Bearer " + Access1, received.Headers!["Authorization"].Single());
        Assert.DoesNotContain(received.Headers!.Keys, name => name.Equals("X-Injected", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SetTokensAsync_Null_ThrowsAndStoresNothing()
    {
        await using var host = AuthTestHost.Start();

        await Assert.ThrowsAsync<ArgumentNullException>(() => host.Session.SetTokensAsync(null!, TestContext.Current.CancellationToken));

        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SetTokensAsync_B64TokenWithEverySymbolAndLowerCaseType_IsStoredAndSent()
    {
        const string token = "AZaz09-._~+/" + AuthTestHost.SecretMarker + "==";
        await using var host = AuthTestHost.Start();
        host.ApiAccepts(token);

        await host.Session.SetTokensAsync(new TokenSet(token, host.Time.GetUtcNow().AddHours(1)) { TokenType = "bearer" }, TestContext.Current.CancellationToken);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal("bearer " + token, Assert.Single(host.Api.LogEntries).RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task SetTokensAsync_OtherTypeWithAuthorizationScheme_IsAcceptedAndSentWithTheScheme()
    {
        await using var host = AuthTestHost.Start(o => o.AuthorizationScheme = "Token");
        host.Api.Given(WireMock.RequestBuilders.Request.Create().WithPath("/data"))
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200));

        await host.Session.SetTokensAsync(new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { TokenType = "mac" }, TestContext.Current.CancellationToken);
        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal("Token " + Access1, Assert.Single(host.Api.LogEntries).RequestMessage.Headers!["Authorization"].Single());
    }
}
