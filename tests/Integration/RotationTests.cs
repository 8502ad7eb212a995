using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace AuthHandler.Tests.Integration;

public sealed class RotationTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task Refresh_ResponseWithRefreshToken_ReplacesIt()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2, expiresIn: 600));

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var stored = (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!;
        Assert.Equal(Access2, stored.AccessToken);
        Assert.Equal(Refresh2, stored.RefreshToken);
        Assert.Equal(host.Time.GetUtcNow().AddSeconds(600), stored.ExpiresAt);
    }

    [Fact]
    public async Task Refresh_ResponseWithoutRefreshToken_KeepsTheOldOne()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2));

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var stored = (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!;
        Assert.Equal(Access2, stored.AccessToken);
        Assert.Equal(Refresh1, stored.RefreshToken);
    }

    [Fact]
    public async Task Refresh_ResponseWithoutExpiresIn_UsesDefaultLifetime()
    {
        await using var host = AuthTestHost.Start(o => o.DefaultTokenLifetime = TimeSpan.FromMinutes(7));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { access_token = Access2, token_type = "bearer" });

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var stored = (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!;
        Assert.Equal(host.Time.GetUtcNow().AddMinutes(7), stored.ExpiresAt);
        Assert.Equal("Bearer", stored.TokenType);
    }

    [Fact]
    public async Task Refresh_StoreAlreadyHoldsNewerToken_AdoptsItWithoutCallingTheServer()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1, "/before");
        host.ApiAccepts(Access2, "/data");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/before", TestContext.Current.CancellationToken)).StatusCode);

        // Another process refreshed and wrote the store.
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(Access2, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh2 });
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(["Bearer " + Access1, "Bearer " + Access1, "Bearer " + Access2], host.Api.LogEntries.Select(e => e.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task Refresh_InvalidGrantButAnotherProcessRotatedMeanwhile_AdoptsInsteadOfSigningOut()
    {
        var store = new ChangesAfterFirstRead();
        await using var host = AuthTestHost.Start(services: s => s
            .AddSingleton<ITokenStore>(store)
            .AddKeyedSingleton<IRefreshLock>(AuthTestHost.ClientName, new InProcessRefreshLock()));
        store.Key = host.Session.StoreKey;
        store.First = new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1 };
        store.Later = new TokenSet(Access2, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh2 };
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(0, signals);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.False(store.Removed);
    }

    /// <summary>A store that another process writes to between the session's reads.</summary>
    private sealed class ChangesAfterFirstRead : ITokenStore
    {
        private int _reads;

        public string Key { get; set; } = string.Empty;

        public TokenSet? First { get; set; }

        public TokenSet? Later { get; set; }

        public bool Removed { get; private set; }

        public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
        {
            Assert.Equal(Key, key);

            // Reads: 1 = first load (tokens fresh, taken without the lock), 2 = the look before the
            // lock on the 401, 3 = inside the lock before refreshing, 4 = after invalid_grant.
            return ValueTask.FromResult(Interlocked.Increment(ref _reads) <= 3 ? First : Later);
        }

        public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
        {
            Removed = true;
            return ValueTask.CompletedTask;
        }
    }
}
