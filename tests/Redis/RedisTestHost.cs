using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests.Redis;

/// <summary>
/// One test's fleet: a real redis-server, a WireMock authorization server and API on loopback,
/// a fake clock shared by all instances, one Data Protection key ring on disk shared by all
/// instances, and any number of "instances" — separate service providers built the strict way.
/// Disposing it checks that no secret reached any instance's logs, then removes everything.
/// </summary>
internal sealed class RedisTestHost : IAsyncDisposable
{
    public const string ClientName = "api";
    public const string ClientId = "cli";
    public const string ApplicationName = "authhandler-redis-tests";

    // Event ids of the Redis coordination's log (category AuthHandler.Redis).
    public const int LockAcquiredEvent = 1000;
    public const int LockWaitTimedOutEvent = 1001;
    public const int RedisUnavailableEvent = 1002;
    public const int FencedWriteRejectedEvent = 1006;

    // Event ids of the session's log (category AuthHandler).
    public const int StoreEntryRestoredEvent = 33;
    public const int WaitingForEarlierRedemptionEvent = 34;
    public const int StoreWriteSupersededEvent = 35;

    /// <summary>Every token in the tests contains this marker, so the log scan and the at-rest check can find leaks.</summary>
    public const string SecretMarker = "SECRET";

    /// <summary>How long each instance's disposal may take on the real clock before it is reported as stuck.</summary>
    private static readonly TimeSpan DisposeBound = TimeSpan.FromSeconds(20);

    private static readonly ConditionalWeakTable<IServiceProvider, DeviceAuthSession> Sessions = new();

    private readonly List<ServiceProvider> _instances = [];
    private readonly List<HelperProcess> _children = [];
    private ConnectionMultiplexer? _admin;

    private RedisTestHost(RedisServer redis, string directory)
    {
        Redis = redis;
        Directory = directory;
    }

    public RedisServer Redis { get; }

    public WireMockServer Idp { get; } = WireMockServer.Start();

    public WireMockServer Api { get; } = WireMockServer.Start();

    public string Directory { get; }

    public string KeyRingDirectory => Path.Combine(Directory, "keys");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public IReadOnlyList<ServiceProvider> Instances => _instances;

    public int TokenCalls => Idp.LogEntries.Count(e => e.RequestMessage.Path == "/token");

    /// <summary>The token endpoint's 400 answers: in these tests, only invalid_grant for a reused refresh token.</summary>
    public int InvalidGrantAnswers => Idp.LogEntries.Count(e => e.RequestMessage.Path == "/token" && e.ResponseMessage.StatusCode?.ToString() == "400");

    public static async Task<RedisTestHost> StartAsync()
    {
        var redis = await RedisServer.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "authhandler-redis-tests-" + Guid.NewGuid().ToString("N"));
        RedisTestHost host;
        try
        {
            host = new RedisTestHost(redis, directory);
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        try
        {
            // Create the shared key ring once, before any instance starts: instances that found
            // an empty ring at the same moment would each create a key of their own.
            var services = new ServiceCollection();
            services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(host.KeyRingDirectory)).SetApplicationName(ApplicationName);
            await using (var keyRing = services.BuildServiceProvider())
            {
                keyRing.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect([1]);
            }

            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new instance: its own service provider, HTTP client "api" and Redis coordination.</summary>
    /// <param name="redis">Changes the Redis coordination's options.</param>
    /// <param name="configure">Changes the client's options.</param>
    /// <param name="dataProtection">Whether the instance protects tokens at rest.</param>
    /// <param name="applicationName">The Data Protection application name.</param>
    /// <param name="wrapLock">Wraps the Redis refresh lock the session uses (to observe it).</param>
    public ServiceProvider AddInstance(
        Action<RedisTokenCoordinationOptions>? redis = null,
        Action<DeviceAuthOptions>? configure = null,
        bool dataProtection = true,
        string applicationName = ApplicationName,
        Func<IRefreshLock, IRefreshLock>? wrapLock = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        collection.AddFakeLogging();
        collection.AddSingleton<TimeProvider>(Time);
        if (dataProtection)
        {
            collection.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(KeyRingDirectory)).SetApplicationName(applicationName);
        }

        collection.AddHttpClient(ClientName, c => c.BaseAddress = new Uri(Api.Url!))
            .AddDeviceAuthHandler(o =>
            {
                o.Authority = Idp.Url;
                o.ClientId = ClientId;
                o.TokenEndpoint = new Uri(Idp.Url + "/token");
                o.StorageDirectory = Path.Combine(Directory, "instance-" + _instances.Count);
                o.DeviceHeaders.Enabled = false;
                configure?.Invoke(o);
            })
            .AddRedisTokenCoordination(o =>
            {
                o.Configuration = Redis.ConnectionString;
                redis?.Invoke(o);
            });
        if (wrapLock is not null)
        {
            var registered = collection.Single(d => d.ServiceType == typeof(IRefreshLock) && Equals(d.ServiceKey, ClientName));
            collection.Remove(registered);
            collection.AddKeyedSingleton(ClientName, (provider, key) => wrapLock((IRefreshLock)registered.KeyedImplementationFactory!(provider, key)));
        }

        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _instances.Add(provider);
        return provider;
    }

    /// <summary>The instance's session; <see cref="DisposeAsync"/> stops what the sessions it handed out still run.</summary>
    public static DeviceAuthSession Session(IServiceProvider instance) =>
        Sessions.GetValue(instance, static i => i.GetRequiredKeyedService<DeviceAuthSession>(ClientName));

    public static ITokenStore Store(IServiceProvider instance) => instance.GetRequiredKeyedService<ITokenStore>(ClientName);

    public static IRefreshLock Lock(IServiceProvider instance) => instance.GetRequiredKeyedService<IRefreshLock>(ClientName);

    public static HttpClient Client(IServiceProvider instance)
    {
        _ = Session(instance);
        return instance.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
    }

    /// <summary>The documented key name, computed here independently of the library.</summary>
    public static string KeyFor(string kind, string storeKey, string prefix = "authhandler:") =>
        prefix + kind + ":{" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(storeKey)).AsSpan(0, 16)) + "}";

    /// <summary>A separate connection for the test's own look at Redis.</summary>
    public async Task<IDatabase> AdminAsync()
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString + ",allowAdmin=true");
        return _admin.GetDatabase();
    }

    public IServer AdminServer() => _admin!.GetServer(_admin.GetEndPoints().Single());

    /// <summary>
    /// Stores tokens the way a previous sign-in would have left them, through <paramref name="instance"/>'s
    /// store and under its Redis lock (one acquisition: the fence moves by one).
    /// </summary>
    public Task<TokenSet> SeedAsync(IServiceProvider instance, string accessToken, string refreshToken, TimeSpan lifetime) =>
        SeedAsync(instance, accessToken, refreshToken, Time.GetUtcNow(), lifetime);

    /// <summary>
    /// As <see cref="SeedAsync(IServiceProvider, string, string, TimeSpan)"/>, with the expiry
    /// counted from <paramref name="now"/>: the real clock's now for the child instances, which
    /// run on it.
    /// </summary>
    public static async Task<TokenSet> SeedAsync(IServiceProvider instance, string accessToken, string refreshToken, DateTimeOffset now, TimeSpan lifetime)
    {
        var tokens = new TokenSet(accessToken, now + lifetime) { RefreshToken = refreshToken, IssuedAt = now - TimeSpan.FromHours(1) };
        var key = Session(instance).StoreKey;
        await using var lease = await Lock(instance).AcquireAsync(key, TestContext.Current.CancellationToken);
        await Store(instance).SetAsync(key, tokens, lease, TestContext.Current.CancellationToken);
        return tokens;
    }

    /// <summary>
    /// A new instance in its own OS process (tests/CoordinationHelper in Redis mode): this
    /// host's Redis, key ring, authorization server and API, and the default lease. It sends
    /// <paramref name="requests"/> concurrent requests when told "go"; see the helper for what it
    /// prints. Killed, if still running, when the host is disposed.
    /// </summary>
    public HelperProcess StartChild(int requests)
    {
        var child = HelperProcess.Start(
            "requests",
            Path.Combine(Directory, "child-" + _children.Count),
            Idp.Url!,
            Api.Url!,
            requests.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "redis",
            Redis.ConnectionString,
            KeyRingDirectory,
            ApplicationName);
        _children.Add(child);
        return child;
    }

    /// <summary>
    /// How many SET commands Redis has run (<c>INFO commandstats</c> counts those a script runs):
    /// every lease attempt (the acquire script's SET NX) and every token write.
    /// </summary>
    public async Task<long> SetCommandsAsync()
    {
        await AdminAsync();
        var stats = await AdminServer().InfoRawAsync("commandstats") ?? string.Empty;
        var line = stats.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("cmdstat_set:", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        var calls = line.Split(':', ',').Single(f => f.StartsWith("calls=", StringComparison.Ordinal));
        return long.Parse(calls["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// <paramref name="count"/> instances that each made a call with generation 1 of the
    /// <see cref="RotatingTokenEndpoint"/> (10 minutes left on the fake clock), so they hold it in
    /// memory; the API accepts generations 1 and 2. Also returns how many sign-in-required signals
    /// they have raised since.
    /// </summary>
    public async Task<(IReadOnlyList<IServiceProvider> Instances, Func<int> SignOuts)> SignedInInstancesAsync(int count, Action<RedisTokenCoordinationOptions>? redis = null)
    {
        var instances = Enumerable.Range(0, count).Select(_ => AddInstance(redis)).ToList();
        await SeedAsync(instances[0], RotatingTokenEndpoint.AccessToken(1), RotatingTokenEndpoint.RefreshToken(1), lifetime: TimeSpan.FromMinutes(10));
        ApiAccepts(RotatingTokenEndpoint.AccessToken(1), RotatingTokenEndpoint.AccessToken(2));
        var signOuts = 0;
        foreach (var instance in instances)
        {
            Session(instance).SignInRequired += (_, _) => Interlocked.Increment(ref signOuts);
            using var response = await Client(instance).GetAsync("/data", TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        return (instances, () => Volatile.Read(ref signOuts));
    }

    /// <summary>
    /// Redis holds <see cref="RotatingTokenEndpoint"/>'s <paramref name="generation"/>, read
    /// through <paramref name="instance"/>'s store, and no redemption marker.
    /// </summary>
    public async Task AssertStoredAsync(IServiceProvider instance, int generation)
    {
        var key = Session(instance).StoreKey;
        var stored = await Store(instance).GetAsync(key, TestContext.Current.CancellationToken);
        Assert.NotNull(stored);
        Assert.Equal(RotatingTokenEndpoint.AccessToken(generation), stored.AccessToken);
        Assert.Equal(RotatingTokenEndpoint.RefreshToken(generation), stored.RefreshToken);
        Assert.False(await (await AdminAsync()).KeyExistsAsync(KeyFor("redeeming", key)));
    }

    /// <summary>The API answers 200 to any of <paramref name="accessTokens"/> and 401 to anything else.</summary>
    public void ApiAccepts(params string[] accessTokens)
    {
        foreach (var token in accessTokens)
        {
            Api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer " + token))
                .AtPriority(1)
                .RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        }

        Api.Given(Request.Create().WithPath("/data")).AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\""));
    }

    /// <summary>
    /// A token endpoint that rotates refresh tokens with reuse detection (RFC 9700 §4.14): the
    /// first use of <paramref name="refreshToken"/> answers new tokens, once <paramref name="answerWhen"/>
    /// completes (null: at once); every later use of it answers invalid_grant.
    /// </summary>
    /// <returns>A task that completes when the first use has reached the endpoint.</returns>
    public Task TokenEndpointRotates(string refreshToken, string newAccessToken, string newRefreshToken, Task? answerWhen = null)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = Request.Create().WithPath("/token").UsingPost().WithBody(new RegexMatcher("refresh_token=" + refreshToken));
        var body = JsonSerializer.Serialize(new
        {
            access_token = newAccessToken,
            token_type = "Bearer",
            expires_in = 3600,
            refresh_token = newRefreshToken,
        });
        Idp.Given(request).InScenario("rotation").WillSetStateTo("used").RespondWith(Response.Create().WithCallback(async _ =>
        {
            reached.TrySetResult();
            await (answerWhen ?? Task.CompletedTask);
            return new ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
            };
        }));
        Idp.Given(request).InScenario("rotation").WhenStateIs("used")
            .RespondWith(Response.Create().WithStatusCode(400).WithBodyAsJson(new { error = "invalid_grant", error_description = "refresh token reused" }));
        return reached.Task;
    }

    /// <summary>Waits on the real clock, bounded, until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting until " + what + ".");
            }

            await Task.Delay(20);
        }
    }

    public static FakeLogCollector Logs(IServiceProvider instance) => instance.GetFakeLogCollector();

    /// <summary>How many records the Redis coordination (category AuthHandler.Redis) wrote with <paramref name="eventId"/>.</summary>
    public static int LogCount(IServiceProvider instance, int eventId) =>
        instance.GetFakeLogCollector().GetSnapshot().Count(r => r.Category == "AuthHandler.Redis" && r.Id.Id == eventId);

    /// <summary>How many records the session (category AuthHandler) wrote with <paramref name="eventId"/>.</summary>
    public static int SessionLogCount(IServiceProvider instance, int eventId) =>
        instance.GetFakeLogCollector().GetSnapshot().Count(r => r.Category == "AuthHandler" && r.Id.Id == eventId);

    public async ValueTask DisposeAsync()
    {
        var stuck = new List<string>();
        try
        {
            foreach (var child in _children)
            {
                await child.DisposeAsync();
                Assert.DoesNotContain(SecretMarker, child.Output, StringComparison.Ordinal);
            }

            // The secret scan: every record any instance produced, at any level, with exceptions.
            foreach (var instance in _instances)
            {
                foreach (var record in instance.GetFakeLogCollector().GetSnapshot())
                {
                    var text = record.Message + " " + record.Exception + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []);
                    Assert.DoesNotContain(SecretMarker, text, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            // A test that failed mid-refresh leaves a back-channel call in flight, perhaps parked
            // on a retry timer of the fake clock: disposing a provider would wait for it forever
            // (its resilience pipeline, created after the session, is disposed first). Disposing
            // the sessions first cancels their refreshes; each provider's disposal is bounded.
            foreach (var instance in _instances)
            {
                if (Sessions.TryGetValue(instance, out var session))
                {
                    session.Dispose();
                }
            }

            for (var i = 0; i < _instances.Count; i++)
            {
                try
                {
                    await _instances[i].DisposeAsync().AsTask().WaitAsync(DisposeBound);
                }
                catch (TimeoutException)
                {
                    stuck.Add("instance " + i);
                }
            }

            if (_admin is not null)
            {
                await _admin.DisposeAsync();
            }

            Idp.Stop();
            Api.Stop();
            Idp.Dispose();
            Api.Dispose();
            await Redis.DisposeAsync();
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }

        if (stuck.Count != 0)
        {
            throw new TimeoutException($"RedisTestHost could not dispose {string.Join(", ", stuck)} within {DisposeBound.TotalSeconds} s.");
        }
    }
}
