// A first program against the packed packages, as an application uses them (issue 15, "done when"):
// a typed client with the device-auth handler and, after it, the standard resilience handler; a
// second client with Redis coordination; a third with the platform credential store. It seeds
// tokens into the first client's memory store, reads them back through the public session API
// (GetAccessTokenAsync, GetAccountAsync) and sends one request through the typed client to a
// server on 127.0.0.1 that this program starts, which must receive the bearer token. No network
// off the machine: no Redis connection, no sign-in, no keyring (the script runs it without
// DBUS_SESSION_BUS_ADDRESS, so the credential store is only asked where it would keep tokens).
// One line per check; the exit code is the number of failed checks.
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var failures = 0;
void Check(bool passed, string what)
{
    Console.WriteLine($"consumer: {(passed ? "ok  " : "FAIL")} {what}");
    failures += passed ? 0 : 1;
}

using var server = new TcpListener(IPAddress.Loopback, 0);
server.Start();
var origin = $"http://127.0.0.1:{((IPEndPoint)server.LocalEndpoint).Port}/";
var received = AnswerOneRequestAsync(server);

var storage = Directory.CreateTempSubdirectory("authhandler-consumer-");
try
{
    var services = new ServiceCollection();
    services.AddHttpClient<ConsumerApi>(c => c.BaseAddress = new Uri(origin))
        .AddDeviceAuthHandler(o =>
        {
            o.Authority = origin;
            o.ClientId = "cli";
            o.Scope = "api.read offline_access";
            o.DeviceAuthorizationEndpoint = new Uri($"{origin}device");
            o.TokenEndpoint = new Uri($"{origin}token");
        })
        .UseMemoryTokenStore()
        .AddStandardResilienceHandler();

    services.AddHttpClient("redis", c => c.BaseAddress = new Uri("https://api.example.com/"))
        .AddDeviceAuthHandler(o =>
        {
            o.Authority = "https://id.example.com";
            o.ClientId = "cli";
        })
        .AddRedisTokenCoordination(o => o.Configuration = "localhost:6379");

    services.AddHttpClient("platform", c => c.BaseAddress = new Uri("https://api.example.com/"))
        .AddDeviceAuthHandler(o =>
        {
            o.Authority = "https://id.example.com";
            o.ClientId = "cli";
            o.StorageDirectory = storage.FullName;
        })
        .UsePlatformTokenStore();

    await using var provider = services.BuildServiceProvider();

    Console.WriteLine($"consumer: AuthHandler {VersionOf(typeof(DeviceAuthOptions))}, "
        + $"AuthHandler.Redis {VersionOf(typeof(RedisTokenCoordinationOptions))}, "
        + $"AuthHandler.CredentialStore {VersionOf(typeof(CredentialTokenStore))}, "
        + $"Microsoft.Extensions.Http {VersionOf(typeof(IHttpClientFactory))}");

    // The typed client's session is keyed by the client's name: the type's name.
    var session = provider.GetRequiredKeyedService<IDeviceAuthSession>(nameof(ConsumerApi));
    var token = $"consumer-{Guid.NewGuid():N}";
    await session.SetTokensAsync(new TokenSet(token, DateTimeOffset.UtcNow.AddHours(1)) { Scope = "api.read offline_access" });

    var accessToken = await session.GetAccessTokenAsync();
    Check(accessToken.Value == token && accessToken.Scheme == "Bearer", "GetAccessTokenAsync returns the seeded token with the Bearer scheme");

    var account = await session.GetAccountAsync();
    Check(account is not null && account.Scopes.SequenceEqual(["api.read", "offline_access"]) && !account.HasRefreshToken,
        "GetAccountAsync reads the signed-in account (scopes api.read offline_access, no refresh token)");

    var body = await provider.GetRequiredService<ConsumerApi>().GetAsync();
    var request = await received.WaitAsync(TimeSpan.FromSeconds(10));
    Check(body == "ok" && request.StartsWith("GET /data ", StringComparison.Ordinal)
        && request.Split("\r\n").Contains($"Authorization: Bearer {token}"),
        "the loopback server got GET /data with Authorization: Bearer <the seeded token> through the device-auth and resilience handlers");

    var redis = provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get("redis");
    Check(redis.Authority == "https://id.example.com", "the Redis-coordinated client's options validate");

    var platform = provider.GetRequiredKeyedService<ITokenStore>("platform");
    var location = platform is CredentialTokenStore store ? await store.GetLocationAsync() : null;
    Check(location is { Kind: TokenStorageKind.File, FallbackReason: not null },
        $"UsePlatformTokenStore registers the credential store; without a session bus it keeps tokens in {location}");
}
finally
{
    storage.Delete(recursive: true);
}

return failures;

static async Task<string> AnswerOneRequestAsync(TcpListener server)
{
    using var client = await server.AcceptTcpClientAsync();
    var stream = client.GetStream();
    var head = new StringBuilder();
    var buffer = new byte[4096];
    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
    {
        var read = await stream.ReadAsync(buffer);
        if (read == 0)
        {
            break;
        }

        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
    }

    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
    return head.ToString();
}

static string VersionOf(Type type) =>
    type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

/// <summary>The API: a typed client whose requests carry the user's token.</summary>
internal sealed class ConsumerApi(HttpClient client)
{
    public Task<string> GetAsync() => client.GetStringAsync(new Uri("data", UriKind.Relative));
}
