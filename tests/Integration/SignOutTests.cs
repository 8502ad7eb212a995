using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

public sealed class SignOutTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task SignOutAsync_WithoutRevocationEndpoint_DeletesLocallyOnly()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;

        var result = await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Equal(RevocationResult.NotSupported, result);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Equal(SessionState.SignInRequired, host.Session.State);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Empty(host.Idp.LogEntries);
    }

    [Fact]
    public async Task SignOutAsync_RevocationFails_StillSignsOutAndReportsIt()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.RevocationEndpoint = new Uri(o.Authority + "/revoke");
            o.BackchannelMaxRetryAttempts = 0;
        });
        host.Idp.Given(Request.Create().WithPath("/revoke")).RespondWith(Response.Create().WithStatusCode(503));
        await host.SeedAsync(Access1);

        var result = await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Equal(RevocationResult.Failed, result);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 21);
    }

    [Fact]
    public async Task SignOutAsync_NothingStored_HasNothingToRevoke()
    {
        await using var host = AuthTestHost.Start(o => o.RevocationEndpoint = new Uri(o.Authority + "/revoke"));

        Assert.Equal(RevocationResult.NothingToRevoke, await host.Session.SignOutAsync(TestContext.Current.CancellationToken));
        Assert.Empty(host.Idp.LogEntries);
    }
}
