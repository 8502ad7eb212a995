using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Invariant 10: token, device-authorization, discovery and revocation calls never follow a
/// redirect. The redirect target gets nothing, and a 3xx is a typed error with the tokens kept.
/// </summary>
public sealed class BackchannelRedirectTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Secret = "cs-" + AuthTestHost.SecretMarker;

    /// <summary>An origin that would gladly take the refresh token and issue tokens of its own.</summary>
    private static WireMockServer StartThief()
    {
        var thief = WireMockServer.Start();
        thief.Given(Request.Create()).RespondWith(Response.Create().WithStatusCode(200)
            .WithBodyAsJson(AuthTestHost.Tokens("at-stolen-" + AuthTestHost.SecretMarker, "rt-stolen-" + AuthTestHost.SecretMarker)));
        return thief;
    }

    /// <summary>A Location whose path and query must never reach a message or a log.</summary>
    private static string LocationOn(WireMockServer thief) => thief.Url + "/steal?code=" + AuthTestHost.SecretMarker;

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Refresh_TokenEndpointRedirects_TargetGetsNothingAndTokensAreKept(int status)
    {
        using var thief = StartThief();
        await using var host = AuthTestHost.Start(o =>
        {
            o.ClientSecret = Secret;
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        Redirects.Answer(host.Idp, "/token", status, LocationOn(thief));
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Empty(thief.LogEntries);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(TokenEndpointFailure.InvalidResponse, ex.Failure);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains(new Uri(thief.Url!).Authority, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("steal", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        var stored = await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Access1, stored!.AccessToken);
        Assert.Equal(Refresh1, stored.RefreshToken);
        Assert.Empty(host.Api.LogEntries);
    }

    [Fact]
    public async Task Refresh_AppEnablesAutoRedirectForAllClients_TokenEndpointRedirectIsStillNotFollowed()
    {
        using var thief = StartThief();
        await using var host = AuthTestHost.Start(
            o => o.BackchannelMaxRetryAttempts = 0,
            services: s => s.ConfigureHttpClientDefaults(b => b.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = true })));
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        Redirects.Answer(host.Idp, "/token", 307, LocationOn(thief));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, ex.StatusCode);
        Assert.Empty(thief.LogEntries);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task Refresh_DiscoveryRedirects_TargetGetsNothingAndDiscoveryExceptionIsTyped()
    {
        using var thief = StartThief();
        await using var host = AuthTestHost.Start(o =>
        {
            o.TokenEndpoint = null;
            o.DeviceAuthorizationEndpoint = null;
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        Redirects.Answer(host.Idp, "/.well-known/oauth-authorization-server", 302, LocationOn(thief));
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var ex = await Assert.ThrowsAsync<TokenEndpointException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.Empty(thief.LogEntries);
        // The caller's exception wraps the refresh's failure, which wraps the discovery failure.
        var discovery = Assert.IsType<DiscoveryException>(ex.InnerException?.InnerException);
        Assert.False(discovery.IsTransient);
        Assert.Contains("302", discovery.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
        Assert.Single(host.Idp.LogEntries);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Equal(Refresh1, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task SignIn_DeviceAuthorizationEndpointRedirects_TargetGetsNothingAndThrowsUnavailable()
    {
        using var thief = StartThief();
        await using var host = AuthTestHost.Start(o =>
        {
            o.ClientSecret = Secret;
            o.BackchannelMaxRetryAttempts = 0;
        });
        Redirects.Answer(host.Idp, "/device", 307, LocationOn(thief));

        var ex = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => host.Session.SignInAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken));

        Assert.Equal(DeviceAuthorizationFailure.Unavailable, ex.Failure);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, Assert.IsType<TokenEndpointException>(ex.InnerException).StatusCode);
        Assert.Empty(thief.LogEntries);
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SignOut_RevocationEndpointRedirects_TargetGetsNothingAndReportsFailed()
    {
        using var thief = StartThief();
        await using var host = AuthTestHost.Start(o =>
        {
            o.RevocationEndpoint = new Uri(o.Authority + "/revoke");
            o.BackchannelMaxRetryAttempts = 0;
        });
        await host.SeedAsync(Access1);
        Redirects.Answer(host.Idp, "/revoke", 307, LocationOn(thief));

        var result = await host.Session.SignOutAsync(TestContext.Current.CancellationToken);

        Assert.Equal(RevocationResult.Failed, result);
        Assert.Empty(thief.LogEntries);
        Assert.Single(host.Idp.LogEntries);
    }
}
