using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// One test's world: a WireMock authorization server and API on loopback, a fake clock, a temp
/// directory, and a service provider built the strict way. Disposing it checks that no secret
/// reached the logs, then removes everything it created.
/// </summary>
internal sealed class AuthTestHost : IAsyncDisposable
{
    public const string ClientName = "api";
    public const string ClientId = "cli";

    /// <summary>Every token, code and secret in the tests contains this marker, so the log scan can find leaks.</summary>
    public const string SecretMarker = "SECRET";

    /// <summary>How long each step of <see cref="DisposeAsync"/> may take on the real clock before it is reported as stuck.</summary>
    public static readonly TimeSpan DisposeBound = TimeSpan.FromSeconds(20);

    private readonly List<HeldTokenEndpoint> _held = [];
    private readonly List<string> _secrets = [];
    private DeviceAuthSession? _session;

    private AuthTestHost(WireMockServer idp, WireMockServer api, string directory)
    {
        Idp = idp;
        Api = api;
        Directory = directory;
    }

    public WireMockServer Idp { get; }

    public WireMockServer Api { get; }

    public string Directory { get; }

    public ObservableTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public MemoryTokenStore Store { get; } = new();

    public ServiceProvider Provider { get; private set; } = null!;

    public FakeLogCollector Logs => Provider.GetFakeLogCollector();

    /// <summary>The store the session uses: <see cref="Store"/>, or the default file store with <c>fileStore: true</c>.</summary>
    public FileTokenStore FileStore => new(Directory);

    public DeviceAuthSession Session => _session ??= Provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);

    /// <summary>The client; it resolves the session too, so that <see cref="DisposeAsync"/> can stop what the session still runs.</summary>
    public HttpClient Client
    {
        get
        {
            _ = Session;
            return Provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
        }
    }

    public Uri TokenEndpoint => new(Idp.Url + "/token");

    public Uri DeviceEndpoint => new(Idp.Url + "/device");

    public int TokenCalls => Idp.LogEntries.Count(e => e.RequestMessage.Path == "/token");

    public static AuthTestHost Start(
        Action<DeviceAuthOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<IHttpClientBuilder>? client = null,
        bool fileStore = false,
        bool apiClient = true,
        Action<IHttpClientBuilder>? clientAfterHandler = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "authhandler-tests-" + Guid.NewGuid().ToString("N"));
        var host = new AuthTestHost(WireMockServer.Start(), WireMockServer.Start(), directory);
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        collection.AddFakeLogging();
        collection.AddSingleton<TimeProvider>(host.Time);
        if (!fileStore)
        {
            collection.AddSingleton<ITokenStore>(host.Store);
        }
        // Deterministic wherever the tests run: no display unless a test registers one (its registration wins).
        collection.AddSingleton(new AuthHandler.Browser.Internal.InteractiveEnvironment(() => "no display in the tests"));
        services?.Invoke(collection);

        void Options(DeviceAuthOptions o)
        {
            o.Authority = host.Idp.Url;
            o.ClientId = ClientId;
            o.TokenEndpoint = host.TokenEndpoint;
            o.DeviceAuthorizationEndpoint = host.DeviceEndpoint;
            o.StorageDirectory = directory;
            configure?.Invoke(o);
        }

        if (apiClient)
        {
            var builder = collection.AddHttpClient(ClientName, c => c.BaseAddress = new Uri(host.Api.Url!));
            client?.Invoke(builder);
            builder.AddDeviceAuthHandler(Options);
            clientAfterHandler?.Invoke(builder);
        }
        else
        {
            // The session alone: no HTTP client of its own (the sign-in, sign-out and status of a CLI).
            collection.AddDeviceAuthSession(ClientName, Options);
        }

        host.Provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return host;
    }

    /// <summary>Stores tokens the way a previous sign-in would have left them.</summary>
    public ValueTask SeedAsync(string accessToken, string? refreshToken = "rt-1-" + SecretMarker, TimeSpan? lifetime = null)
    {
        var now = Time.GetUtcNow();
        var tokens = new TokenSet(accessToken, now + (lifetime ?? TimeSpan.FromHours(1)))
        {
            RefreshToken = refreshToken,
            IssuedAt = now,
        };
        return WriteAsync(Store, Session.StoreKey, tokens);
    }

    /// <summary>
    /// Writes <paramref name="store"/> the way another process would: under a refresh lock of its
    /// own (a new <see cref="InProcessRefreshLock"/>, not the session's), since every store write
    /// takes a lease.
    /// </summary>
    public static async ValueTask WriteAsync(ITokenStore store, string key, TokenSet tokens)
    {
        await using var lease = await new InProcessRefreshLock().AcquireAsync(key, CancellationToken.None);
        await store.SetAsync(key, tokens, lease, CancellationToken.None);
    }

    /// <summary>The API answers 200 to <paramref name="accessToken"/> and 401 to anything else.</summary>
    public void ApiAccepts(string accessToken, string path = "/data", string? challenge = "Bearer error=\"invalid_token\"")
    {
        Api.Given(Request.Create().WithPath(path).WithHeader("Authorization", "Bearer " + accessToken))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        var unauthorized = Response.Create().WithStatusCode(401);
        if (challenge is not null)
        {
            unauthorized = unauthorized.WithHeader("WWW-Authenticate", challenge);
        }

        Api.Given(Request.Create().WithPath(path)).AtPriority(10).RespondWith(unauthorized);
    }

    /// <summary>The token endpoint answers at once; <see cref="HeldTokenEndpoint"/> holds an answer until the test releases it.</summary>
    public void TokenEndpointAnswers(object body, int status = 200) =>
        Idp.Given(Request.Create().WithPath("/token").UsingPost()).RespondWith(Response.Create().WithStatusCode(status).WithBodyAsJson(body));

    public void DeviceEndpointAnswers(object body, int status = 200) =>
        Idp.Given(Request.Create().WithPath("/device").UsingPost()).RespondWith(Response.Create().WithStatusCode(status).WithBodyAsJson(body));

    public static object DeviceCode(int expiresIn = 600, int? interval = 5) => new
    {
        device_code = "dc-" + SecretMarker,
        user_code = "ABCD-EFGH",
        verification_uri = "https://id.example.com/device",
        verification_uri_complete = "https://id.example.com/device?user_code=ABCD-EFGH",
        expires_in = expiresIn,
        interval,
    };

    /// <summary>Answers the token endpoint with each body in turn; the last one repeats.</summary>
    public void TokenEndpointSequence(params (int Status, object Body)[] answers)
    {
        for (var i = 0; i < answers.Length; i++)
        {
            var rule = Idp.Given(Request.Create().WithPath("/token").UsingPost()).InScenario("sequence");
            rule = i == 0 ? rule : rule.WhenStateIs("step" + i);
            if (i < answers.Length - 1)
            {
                rule = rule.WillSetStateTo("step" + (i + 1));
            }

            rule.RespondWith(Response.Create().WithStatusCode(answers[i].Status).WithBodyAsJson(answers[i].Body));
        }
    }

    public static object Tokens(string accessToken, string? refreshToken = null, int? expiresIn = 3600) =>
        refreshToken is null
            ? new { access_token = accessToken, token_type = "Bearer", expires_in = expiresIn }
            : new { access_token = accessToken, token_type = "Bearer", expires_in = expiresIn, refresh_token = refreshToken };

    /// <summary>The refresh tokens presented to the token endpoint, in order.</summary>
    public IReadOnlyList<string?> PresentedRefreshTokens => Idp.LogEntries
        .Where(e => e.RequestMessage.Path == "/token")
        .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage.Body ?? string.Empty)["refresh_token"])
        .ToList();

    /// <summary>
    /// A refresh whose answer was lost presents its refresh token once more after a short delay:
    /// waits until the session is parked on that timer and moves the clock by exactly that delay.
    /// </summary>
    public async Task PassLostAnswerDelayAsync(int count = 1)
    {
        await Time.WaitForTimerAsync(AuthHandler.Sessions.Internal.TokenRedeemer.LostAnswerRetryDelay, count);
        Time.Advance(AuthHandler.Sessions.Internal.TokenRedeemer.LostAnswerRetryDelay);
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A secret without <see cref="SecretMarker"/> in it (a DPoP private key) that no log may contain.</summary>
    public void AddSecret(string secret)
    {
        lock (_secrets)
        {
            _secrets.Add(secret);
        }
    }

    /// <summary>Registers a held answer, which <see cref="DisposeAsync"/> releases whatever the test did.</summary>
    public HeldTokenEndpoint Track(HeldTokenEndpoint held)
    {
        lock (_held)
        {
            _held.Add(held);
        }

        return held;
    }

    /// <summary>
    /// Ends what the test left running, checks the logs for secrets, then removes everything. A
    /// test that failed mid-refresh leaves a held answer unreleased and a back-channel call in
    /// flight: disposing the provider would then wait for that call (the resilience pipeline,
    /// created after the session, is disposed before it) and stopping WireMock for the held
    /// request, forever. So the held answers are released and the session is disposed first,
    /// which cancels its refresh, a retry parked on the fake clock included. Each step is
    /// bounded by <see cref="DisposeBound"/>; a step that does not end is reported as a
    /// <see cref="TimeoutException"/> after the rest of the cleanup has run, so the run fails
    /// instead of hanging.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var stuck = new List<string>();
        try
        {
            lock (_held)
            {
                _held.ForEach(h => h.Release());
            }

            if (_session is { } session)
            {
                session.Dispose();
                await Bounded(session.WhenRefreshCompleted(), "the session's refresh", stuck);

                // The DPoP private key holds no marker: whatever key the stores hold is scanned for as it is.
                foreach (var store in new ITokenStore[] { Store, FileStore })
                {
                    try
                    {
                        if ((await store.GetAsync(session.StoreKey, CancellationToken.None))?.DPoPKey is { } key)
                        {
                            AddSecret(key);
                        }
                    }
                    catch (TokenStoreException)
                    {
                        // A test that corrupted the record registers what it wrote itself.
                    }
                }
            }

            // The suite-wide secret scan: every record any test produced, at any level, with exceptions.
            foreach (var record in Logs.GetSnapshot())
            {
                var text = record.Message + " " + record.Exception + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []);
                Assert.DoesNotContain(SecretMarker, text, StringComparison.Ordinal);
                lock (_secrets)
                {
                    foreach (var secret in _secrets)
                    {
                        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                    }
                }
            }
        }
        finally
        {
            await Bounded(Provider.DisposeAsync().AsTask(), "disposing the service provider", stuck);
            await Bounded(Task.Run(Idp.Stop), "stopping the authorization server", stuck);
            await Bounded(Task.Run(Api.Stop), "stopping the API", stuck);
            Idp.Dispose();
            Api.Dispose();
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }

        if (stuck.Count != 0)
        {
            throw new TimeoutException($"AuthTestHost could not clean up within {DisposeBound.TotalSeconds} s per step: {string.Join("; ", stuck)} did not end.");
        }
    }

    private static async Task Bounded(Task step, string what, List<string> stuck)
    {
        try
        {
            await step.WaitAsync(DisposeBound);
        }
        catch (TimeoutException)
        {
            stuck.Add(what);
        }
    }
}
