using System.Net;
using AuthHandler.Sessions.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Issue 14: a rotated refresh token is never lost to the store — not to a failed write, not to
/// a store that lost its data, not to an earlier holder that stopped before it stored its answer.
/// </summary>
public sealed class StoreDurabilityTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Access3 = "at-3-" + AuthTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;
    private const string Refresh3 = "rt-3-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task Refresh_MemoryStoreLostItsEntry_WritesTheHeldTokensBackAndRefreshesWithoutSignOut()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        host.Store.Clear();
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, signals);
        Assert.Equal([Refresh1], host.PresentedRefreshTokens);
        Assert.Equal(Refresh2, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "StoreEntryRestored");
    }

    [Fact]
    public async Task Refresh_TokenFileDeletedWhileRunning_WritesTheHeldTokensBackAndRefreshesWithoutSignOut()
    {
        await using var host = AuthTestHost.Start(fileStore: true);
        var now = host.Time.GetUtcNow();
        await AuthTestHost.WriteAsync(host.FileStore, host.Session.StoreKey, new TokenSet(Access1, now.AddMinutes(10)) { RefreshToken = Refresh1, IssuedAt = now });
        host.ApiAccepts(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        var signals = 0;
        host.Session.SignInRequired += (_, _) => signals++;
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        File.Delete(host.FileStore.PathFor(host.Session.StoreKey));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, signals);
        Assert.Equal([Refresh1], host.PresentedRefreshTokens);
        Assert.Equal(Refresh2, (await host.FileStore.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task Refresh_AnotherProcessSignedOut_SignsOutWithNoTokensAndWritesNothingBack()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        var reasons = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, e) => reasons.Add(e.Reason);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        // Another process's sign-out, under a lock of its own: the store keeps a sign-out record.
        await using (var lease = await new InProcessRefreshLock().AcquireAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))
        {
            await host.Store.RemoveAsync(host.Session.StoreKey, lease, TestContext.Current.CancellationToken);
        }

        host.Time.Advance(TimeSpan.FromMinutes(11));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([SignInRequiredReason.NoTokens], reasons);
        Assert.Equal(0, host.TokenCalls);
        var entry = await StoreEntry.ReadAsync(host.Store, host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.True(entry.SignedOut);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_StoreWriteFailsTwiceAfterTheAnswer_RetriesAfter100And200MsAndStoresTheNewTokens()
    {
        var store = new FlakyTokenStore();
        await using var host = await FlakyHostAsync(store);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // Write 1 is the marker; 2 and 3 (the new tokens) fail; 4 lands.
        store.FailWrites = n => n is 2 or 3;
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(100));
        host.Time.Advance(TimeSpan.FromMilliseconds(100));
        await host.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(200));
        host.Time.Advance(TimeSpan.FromMilliseconds(200));
        var response = await request;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, store.Writes);
        var stored = await store.Inner.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken);
        Assert.Equal(Refresh2, stored!.RefreshToken);
        Assert.Null(stored.Redeeming);
    }

    [Fact(Timeout = 60_000)]
    public async Task Refresh_StoreWriteFailsPastTheBound_ServesTheNewTokensAndStoresThemBeforeTheNextRedemption()
    {
        var store = new FlakyTokenStore();
        await using var host = await FlakyHostAsync(store);
        host.ApiAccepts(Access2);
        host.ApiAccepts(Access3);
        host.TokenEndpointSequence((200, AuthTestHost.Tokens(Access2, Refresh2)), (200, AuthTestHost.Tokens(Access3, Refresh3)));
        host.Time.Advance(TimeSpan.FromMinutes(11));

        // Every write after the marker fails: back-off 100, 200, 400, 800 ms, then 1 s until 30 s.
        store.FailWrites = n => n > 1;
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        foreach (var ms in new[] { 100, 200, 400, 800 })
        {
            await host.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(ms));
            host.Time.Advance(TimeSpan.FromMilliseconds(ms));
        }

        // 0.1 + 0.2 + 0.4 + 0.8 s, then 28 × 1 s = 29.5 s; one more second would pass the 30 s bound.
        for (var second = 1; second <= 28; second++)
        {
            await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(1), second);
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var response = await request;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(28, host.Time.StartedTimers.Count(t => t == TimeSpan.FromSeconds(1)));
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "StoreWriteAbandoned");
        Assert.Equal(Refresh1, (await store.Inner.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);

        // The store works again. The next refresh first stores what the last one could not, and
        // redeems the refresh token the server issued, never the spent one.
        store.FailWrites = _ => false;
        host.Time.Advance(TimeSpan.FromMinutes(61));
        var next = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal([Refresh1, Refresh2], host.PresentedRefreshTokens);
        Assert.Equal(Refresh3, (await store.Inner.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task Refresh_StoreCannotTakeTheMarker_SendsNoTokenRequestAndKeepsTheTokens()
    {
        var store = new FlakyTokenStore();
        await using var host = await FlakyHostAsync(store);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        host.Time.Advance(TimeSpan.FromMinutes(11));
        store.FailWrites = _ => true;

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() => host.Client.GetAsync("/data", TestContext.Current.CancellationToken));

        Assert.True(ex.IsTransient);
        Assert.Equal(0, host.TokenCalls);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal(Refresh1, (await store.Inner.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task Refresh_StoredTokensCarryAnEarlierHoldersMarker_InvalidGrantSignsOutWithRefreshAnswerLost()
    {
        await using var host = AuthTestHost.Start();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, Seed(host, TimeSpan.FromMinutes(10)).WithRedeeming("earlier-holder"));
        host.TokenEndpointAnswers(new { error = "invalid_grant" }, 400);
        var reasons = new List<SignInRequiredReason>();
        host.Session.SignInRequired += (_, e) => reasons.Add(e.Reason);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([SignInRequiredReason.RefreshAnswerLost], reasons);
        Assert.Equal([Refresh1], host.PresentedRefreshTokens);
    }

    [Fact(Timeout = 30_000)]
    public async Task SendAsync_TokenInsideTheSkew_GoesOutWithTheCurrentTokenWhileTheRefreshIsHeld()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1);
        await using var held = HeldTokenEndpoint.Answer(host, AuthTestHost.Tokens(Access2, Refresh2));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        // 10 s before expiry: inside the 30 s skew, still valid at the server.
        host.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(10));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await held.WaitUntilReachedAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries[^1].RequestMessage.Headers!["Authorization"].Single());
        Assert.Equal(2, host.Api.LogEntries.Count);
        held.Release();
        await host.Session.WhenRefreshCompleted();
        Assert.Equal(Refresh2, (await host.Store.GetAsync(host.Session.StoreKey, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact(Timeout = 30_000)]
    public async Task Refresh_LockHeldElsewhere_TakesFreshTokensAnotherProcessStoredWithoutWaitingForTheLock()
    {
        var neverGranted = new NeverGrantedLock();
        await using var host = AuthTestHost.Start(services: s => s.AddKeyedSingleton<IRefreshLock>(AuthTestHost.ClientName, neverGranted));
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.ApiAccepts(Access1);
        host.ApiAccepts(Access2);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);

        // Another process refreshed and still holds the lock (or died holding it).
        var now = host.Time.GetUtcNow();
        await AuthTestHost.WriteAsync(host.Store, host.Session.StoreKey, new TokenSet(Access2, now.AddHours(1)) { RefreshToken = Refresh2, IssuedAt = now });
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access2, host.Api.LogEntries[^1].RequestMessage.Headers!["Authorization"].Single());
        Assert.Equal(0, neverGranted.Attempts);
        Assert.Equal(0, host.TokenCalls);
    }

    /// <summary>A lock some other holder keeps: every acquisition waits until it is cancelled.</summary>
    private sealed class NeverGrantedLock : IRefreshLock
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>A host on <paramref name="store"/>, seeded with tokens that expire in 10 minutes.</summary>
    private static async Task<AuthTestHost> FlakyHostAsync(FlakyTokenStore store)
    {
        var host = AuthTestHost.Start(services: s => s.AddSingleton<ITokenStore>(store).AddSingleton<IRefreshLock>(new InProcessRefreshLock()));
        await AuthTestHost.WriteAsync(store.Inner, host.Session.StoreKey, Seed(host, TimeSpan.FromMinutes(10)));
        return host;
    }

    private static TokenSet Seed(AuthTestHost host, TimeSpan lifetime)
    {
        var now = host.Time.GetUtcNow();
        return new TokenSet(Access1, now + lifetime) { RefreshToken = Refresh1, IssuedAt = now };
    }
}
