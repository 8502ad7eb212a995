using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// One test's world for the real-server commands: a WireMock authorization server and API on
/// loopback, a token store directory of its own, and a way to seed and read that store through
/// the library's public API. Disposing it removes everything.
/// </summary>
internal sealed class CliTestHost : IAsyncDisposable
{
    public const string ClientId = "cli";
    public const string Scope = "read write";
    public const string Access1 = "at-1-" + SampleProcess.SecretMarker;
    public const string Refresh1 = "rt-1-" + SampleProcess.SecretMarker;
    public const string Access2 = "at-2-" + SampleProcess.SecretMarker;
    public const string Refresh2 = "rt-2-" + SampleProcess.SecretMarker;
    public const string UserCode = "WDJB-MJHT";
    public const string ApiPath = "/api/data";

    private ServiceProvider? _seeder;

    private CliTestHost(WireMockServer server, string store)
    {
        Server = server;
        Store = store;
        ConfigHome = store + "-config";
    }

    public WireMockServer Server { get; }

    public string Store { get; }

    /// <summary>The XDG_CONFIG_HOME (and APPDATA) of every run: where login remembers the server.</summary>
    public string ConfigHome { get; }

    /// <summary>The file in which login remembers the server, client id and scope.</summary>
    public string RememberedFile => Path.Combine(ConfigHome, "authhandler-sample", "config.json");

    public string Authority => Server.Url!;

    public string ApiUrl => Authority + ApiPath;

    /// <summary>Starts the server with its discovery document (and a revocation endpoint).</summary>
    /// <param name="discovery">Serve a discovery document.</param>
    /// <param name="browser">Advertise the authorization code flow in it too (an authorization endpoint with PKCE S256 and RFC 9207 iss).</param>
    public static CliTestHost Start(bool discovery = true, bool browser = false)
    {
        var host = new CliTestHost(WireMockServer.Start(), Path.Combine(Path.GetTempPath(), "authhandler-sample-" + Guid.NewGuid().ToString("N")));
        if (discovery)
        {
            host.Server.Given(Request.Create().WithPath("/.well-known/oauth-authorization-server").UsingGet())
                .RespondWith(Response.Create().WithBodyAsJson(browser
                    ? new
                    {
                        issuer = host.Authority,
                        token_endpoint = host.Authority + "/token",
                        device_authorization_endpoint = host.Authority + "/device",
                        revocation_endpoint = host.Authority + "/revoke",
                        authorization_endpoint = host.Authority + "/authorize",
                        code_challenge_methods_supported = new[] { "S256" },
                        authorization_response_iss_parameter_supported = true,
                    }
                    : (object)new
                    {
                        issuer = host.Authority,
                        token_endpoint = host.Authority + "/token",
                        device_authorization_endpoint = host.Authority + "/device",
                        revocation_endpoint = host.Authority + "/revoke",
                    }));
        }

        return host;
    }

    /// <summary>The options every real-server command takes, then <paramref name="extra"/>.</summary>
    public string[] Args(string command, params string[] extra) =>
        [command, .. extra, "--authority", Authority, "--client-id", ClientId, "--scope", Scope, "--store", Store];

    public Task<SampleRun> RunAsync(string command, params string[] extra) => SampleProcess.RunAsync(Args(command, extra), Environment());

    /// <summary>As <see cref="RunAsync(string, string[])"/>, with <paramref name="environment"/> added to this host's.</summary>
    public Task<SampleRun> RunAsync(string command, string[] extra, IReadOnlyDictionary<string, string?> environment) =>
        SampleProcess.RunAsync(Args(command, extra), Environment(environment));

    /// <summary>As <see cref="RunAsync(string, string[], IReadOnlyDictionary{string, string?})"/>, handing each line of standard output to <paramref name="onLine"/> while the sample runs.</summary>
    public Task<SampleRun> RunAsync(string command, string[] extra, IReadOnlyDictionary<string, string?> environment, Func<string, Task> onLine) =>
        SampleProcess.RunAsync(Args(command, extra), Environment(environment), onLine);

    /// <summary>As <see cref="RunAsync(string, string[])"/> with no extra arguments, with <paramref name="environment"/> added.</summary>
    public Task<SampleRun> RunAsync(string command, IReadOnlyDictionary<string, string?> environment) => RunAsync(command, [], environment);

    /// <summary>Runs exactly <paramref name="arguments"/> (no server options) with this host's configuration directory and <paramref name="extra"/> variables.</summary>
    public Task<SampleRun> RunBareAsync(string[] arguments, IReadOnlyDictionary<string, string?>? extra = null) =>
        SampleProcess.RunAsync(arguments, Environment(extra));

    /// <summary>This host's configuration directory, then <paramref name="extra"/>.</summary>
    public Dictionary<string, string?> Environment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?> { [SampleProcess.ConfigHomeVariable] = ConfigHome, ["APPDATA"] = ConfigHome };
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        return environment;
    }

    public void DeviceEndpointAnswers(int expiresIn = 600) =>
        Server.Given(Request.Create().WithPath("/device").UsingPost())
            .RespondWith(Response.Create().WithBodyAsJson(new
            {
                device_code = "dc-" + SampleProcess.SecretMarker,
                user_code = UserCode,
                verification_uri = "https://id.example.com/device",
                verification_uri_complete = "https://id.example.com/device?user_code=" + UserCode,
                expires_in = expiresIn,
                interval = 1,
            }));

    /// <summary>Answers the token endpoint with each body in turn; the last one repeats.</summary>
    public void TokenEndpointSequence(params (int Status, object Body)[] answers)
    {
        if (answers.Length == 1)
        {
            // WireMock fails (500) on a scenario whose only mapping never sets a state.
            Server.Given(Request.Create().WithPath("/token").UsingPost())
                .RespondWith(Response.Create().WithStatusCode(answers[0].Status).WithBodyAsJson(answers[0].Body));
            return;
        }

        for (var i = 0; i < answers.Length; i++)
        {
            var rule = Server.Given(Request.Create().WithPath("/token").UsingPost()).InScenario("token");
            rule = i == 0 ? rule : rule.WhenStateIs("step" + i);
            if (i < answers.Length - 1)
            {
                rule = rule.WillSetStateTo("step" + (i + 1));
            }

            rule.RespondWith(Response.Create().WithStatusCode(answers[i].Status).WithBodyAsJson(answers[i].Body));
        }
    }

    public static object Tokens(string accessToken, string refreshToken, int expiresIn = 3600) =>
        new { access_token = accessToken, token_type = "Bearer", expires_in = expiresIn, refresh_token = refreshToken, scope = Scope };

    public static object OAuthError(string error) => new { error };

    /// <summary>The API answers <paramref name="body"/> to <paramref name="accessToken"/> and 401 invalid_token to anything else.</summary>
    public void ApiAccepts(string accessToken, string body)
    {
        Server.Given(Request.Create().WithPath(ApiPath).UsingGet().WithHeader("Authorization", "Bearer " + accessToken))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));
        Server.Given(Request.Create().WithPath(ApiPath))
            .AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\""));
    }

    public void RevocationEndpointAnswers(int status = 200) =>
        Server.Given(Request.Create().WithPath("/revoke").UsingPost()).RespondWith(Response.Create().WithStatusCode(status));

    public int Calls(string path) => Server.LogEntries.Count(e => e.RequestMessage.Path == path);

    public IReadOnlyList<string> Bodies(string path) =>
        Server.LogEntries.Where(e => e.RequestMessage.Path == path).Select(e => e.RequestMessage.Body ?? string.Empty).ToList();

    /// <summary>Stores tokens the way an earlier sign-in would have left them, through the library's session.</summary>
    public async Task SeedAsync(string accessToken, string? refreshToken, DateTimeOffset expiresAt, DateTimeOffset? refreshTokenExpiresAt = null, string? idToken = null)
    {
        var tokens = new TokenSet(accessToken, expiresAt)
        {
            RefreshToken = refreshToken,
            RefreshTokenExpiresAt = refreshTokenExpiresAt,
            IssuedAt = expiresAt - TimeSpan.FromHours(1),
            Scope = Scope,
            IdToken = idToken,
        };
        await Session.SetTokensAsync(tokens, TestContext.Current.CancellationToken);
    }

    /// <summary>What the store holds for the sample's sign-in (same authority, client id and scopes).</summary>
    public ValueTask<TokenSet?> StoredTokensAsync() =>
        new FileTokenStore(Store).GetAsync(Session.StoreKey, TestContext.Current.CancellationToken);

    /// <summary>Writes a token file that cannot be parsed, as a crash of some other tool might leave it.</summary>
    public async Task CorruptTheStoreAsync()
    {
        var path = new FileTokenStore(Store).PathFor(Session.StoreKey);
        Directory.CreateDirectory(Store);
        await File.WriteAllTextAsync(path, "{\"access_token\": \"" + SampleProcess.SecretMarker, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_seeder is not null)
        {
            await _seeder.DisposeAsync();
        }

        Server.Stop();
        Server.Dispose();
        foreach (var directory in new[] { Store, ConfigHome })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>A session with the sample's options, in this process: its store key is the sample's.</summary>
    private DeviceAuthSession Session
    {
        get
        {
            if (_seeder is null)
            {
                var services = new ServiceCollection();
                services.AddHttpClient("seed", client => client.BaseAddress = new Uri(Authority))
                    .AddDeviceAuthHandler(options =>
                    {
                        options.Authority = Authority;
                        options.ClientId = ClientId;
                        options.Scope = Scope;
                        options.StorageDirectory = Store;
                    });
                _seeder = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            }

            return _seeder.GetRequiredKeyedService<DeviceAuthSession>("seed");
        }
    }
}
