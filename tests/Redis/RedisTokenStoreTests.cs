using System.Net;
using System.Text;
using StackExchange.Redis;

namespace AuthHandler.Tests.Redis;

public sealed class RedisTokenStoreTests
{
    private const string Access1 = "at-1-" + RedisTestHost.SecretMarker;
    private const string Refresh1 = "rt-1-" + RedisTestHost.SecretMarker;

    [Fact]
    public async Task SetAsync_Tokens_RawRedisValueHoldsNoTokenAndKeyNamesHoldNoIdentifiers()
    {
        await using var host = await RedisTestHost.StartAsync();
        var writer = host.AddInstance();
        await host.SeedAsync(writer, Access1, Refresh1, TimeSpan.FromHours(1));
        var storeKey = RedisTestHost.Session(writer).StoreKey;
        var admin = await host.AdminAsync();

        var raw = (byte[]?)await admin.StringGetAsync(RedisTestHost.KeyFor("tokens", storeKey));

        Assert.NotNull(raw);
        foreach (var text in new[] { Encoding.UTF8.GetString(raw), Encoding.Latin1.GetString(raw), Convert.ToBase64String(raw) })
        {
            Assert.DoesNotContain(RedisTestHost.SecretMarker, text, StringComparison.Ordinal);
            Assert.DoesNotContain("access_token", text, StringComparison.Ordinal);
        }

        var keys = host.AdminServer().Keys(pattern: "*").Select(k => (string)k!).ToList();
        Assert.Contains(RedisTestHost.KeyFor("tokens", storeKey), keys);
        Assert.All(keys, k => Assert.DoesNotContain(RedisTestHost.ClientId + "|", k, StringComparison.Ordinal));
        Assert.All(keys, k => Assert.DoesNotContain("127.0.0.1", k, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_OtherInstanceSharingKeyRing_ReadsSameTokens()
    {
        await using var host = await RedisTestHost.StartAsync();
        var writer = host.AddInstance();
        var reader = host.AddInstance();
        var seeded = await host.SeedAsync(writer, Access1, Refresh1, TimeSpan.FromHours(1));

        var read = await RedisTestHost.Store(reader).GetAsync(RedisTestHost.Session(reader).StoreKey, TestContext.Current.CancellationToken);

        Assert.NotNull(read);
        Assert.Equal(seeded.AccessToken, read.AccessToken);
        Assert.Equal(seeded.RefreshToken, read.RefreshToken);
        Assert.Equal(seeded.ExpiresAt, read.ExpiresAt);
        Assert.Equal(seeded.IssuedAt, read.IssuedAt);
    }

    [Fact]
    public async Task SetTokensAsync_WithIdToken_OtherInstanceReadsTheAccountAndTheRawValueHoldsNoIdToken()
    {
        await using var host = await RedisTestHost.StartAsync();
        var writer = host.AddInstance();
        var reader = host.AddInstance();
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"sub":"alice"}""")).TrimEnd('=');
        var idToken = "eyJhbGciOiJSUzI1NiJ9." + payload + "." + RedisTestHost.SecretMarker;
        await RedisTestHost.Session(writer).SetTokensAsync(
            new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { RefreshToken = Refresh1, IdToken = idToken },
            TestContext.Current.CancellationToken);
        var admin = await host.AdminAsync();

        var read = await RedisTestHost.Store(reader).GetAsync(RedisTestHost.Session(reader).StoreKey, TestContext.Current.CancellationToken);
        var account = await RedisTestHost.Session(reader).GetAccountAsync(TestContext.Current.CancellationToken);
        var raw = (byte[]?)await admin.StringGetAsync(RedisTestHost.KeyFor("tokens", RedisTestHost.Session(writer).StoreKey));

        Assert.Equal(idToken, read!.IdToken);
        Assert.Equal("alice", account!.Subject);
        Assert.DoesNotContain(payload, Encoding.Latin1.GetString(raw!), StringComparison.Ordinal);
        Assert.DoesNotContain("id_token", Encoding.Latin1.GetString(raw!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_DPoPBoundTokens_OtherInstanceReadsTheKeyAndTheRawValueHoldsNoKey()
    {
        await using var host = await RedisTestHost.StartAsync();
        var writer = host.AddInstance();
        var reader = host.AddInstance();
        using var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var key = System.Buffers.Text.Base64Url.EncodeToString(ecdsa.ExportPkcs8PrivateKey());
        var storeKey = RedisTestHost.Session(writer).StoreKey;
        await using (var lease = await RedisTestHost.Lock(writer).AcquireAsync(storeKey, TestContext.Current.CancellationToken))
        {
            await RedisTestHost.Store(writer).SetAsync(
                storeKey,
                new TokenSet(Access1, host.Time.GetUtcNow().AddHours(1)) { TokenType = "DPoP", RefreshToken = Refresh1, DPoPKey = key },
                lease,
                TestContext.Current.CancellationToken);
        }

        var read = await RedisTestHost.Store(reader).GetAsync(RedisTestHost.Session(reader).StoreKey, TestContext.Current.CancellationToken);
        var raw = (byte[]?)await (await host.AdminAsync()).StringGetAsync(RedisTestHost.KeyFor("tokens", storeKey));

        Assert.Equal(key, read!.DPoPKey);
        Assert.Equal("DPoP", read.TokenType);
        Assert.Equal(Refresh1, read.RefreshToken);
        Assert.DoesNotContain(key, Encoding.Latin1.GetString(raw!), StringComparison.Ordinal);
        Assert.DoesNotContain("dpop_key", Encoding.Latin1.GetString(raw!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_NoEntry_ReturnsNull()
    {
        await using var host = await RedisTestHost.StartAsync();
        var instance = host.AddInstance();

        Assert.Null(await RedisTestHost.Store(instance).GetAsync("no such key", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetAsync_InstanceWithAnotherKeyRing_ThrowsPermanentErrorNamingTheKeyRing()
    {
        await using var host = await RedisTestHost.StartAsync();
        var writer = host.AddInstance();
        var stranger = host.AddInstance(applicationName: "another-application");
        await host.SeedAsync(writer, Access1, Refresh1, TimeSpan.FromHours(1));

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() =>
            RedisTestHost.Store(stranger).GetAsync(RedisTestHost.Session(stranger).StoreKey, TestContext.Current.CancellationToken).AsTask());

        Assert.False(ex.IsTransient);
        Assert.Contains("Data Protection key ring", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_CorruptedEntry_SignsOutOnceAndLeavesEntryUntouched()
    {
        await using var host = await RedisTestHost.StartAsync();
        var instance = host.AddInstance();
        var session = RedisTestHost.Session(instance);
        var key = RedisTestHost.KeyFor("tokens", session.StoreKey);
        var admin = await host.AdminAsync();
        await admin.StringSetAsync(key, "not protected, not JSON");
        host.ApiAccepts(Access1);
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<SignInRequiredReason>();
        session.SignInRequired += (_, e) => reasons.Enqueue(e.Reason);

        var response = await RedisTestHost.Client(instance).GetAsync("/data", TestContext.Current.CancellationToken);
        await RedisTestHost.WaitUntilAsync(() => Task.FromResult(!reasons.IsEmpty), "the sign-in-required signal was raised");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(SessionState.SignInRequired, session.State);
        Assert.Equal([SignInRequiredReason.TokenStoreUnreadable], reasons);
        Assert.Equal("not protected, not JSON", (string?)await admin.StringGetAsync(key));
        Assert.Empty(host.Api.LogEntries);
    }

    [Fact]
    public async Task SetAsync_CustomKeyPrefix_UsesPrefixForEveryKey()
    {
        await using var host = await RedisTestHost.StartAsync();
        var instance = host.AddInstance(o => o.KeyPrefix = "fleet-a:");
        var storeKey = RedisTestHost.Session(instance).StoreKey;

        await host.SeedAsync(instance, Access1, Refresh1, TimeSpan.FromHours(1));

        var admin = await host.AdminAsync();
        Assert.True(await admin.KeyExistsAsync(RedisTestHost.KeyFor("tokens", storeKey, "fleet-a:")));
        Assert.True((long)await admin.StringGetAsync(RedisTestHost.KeyFor("fence", storeKey, "fleet-a:")) > 0);
        Assert.All(host.AdminServer().Keys(pattern: "*"), k => Assert.StartsWith("fleet-a:", (string)k!, StringComparison.Ordinal));
    }
}
