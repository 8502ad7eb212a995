// A first program against the packed packages: it registers a client with the device-auth handler
// and Redis coordination, as the READMEs show, and reads the validated options back. No network:
// nothing here sends a request or connects to Redis.
using System.Reflection;
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var services = new ServiceCollection();
services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example.com/"))
    .AddDeviceAuthHandler(o =>
    {
        o.Authority = "https://id.example.com";
        o.ClientId = "cli";
        o.Scope = "openid offline_access";
    })
    .AddRedisTokenCoordination(o => o.Configuration = "localhost:6379");

await using var provider = services.BuildServiceProvider();

// Get runs the package's validators of the named options (source-generated and its own).
var options = provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get("api");

Console.WriteLine($"consumer: AuthHandler {VersionOf(typeof(DeviceAuthOptions))}, "
    + $"AuthHandler.Redis {VersionOf(typeof(RedisTokenCoordinationOptions))}, "
    + $"Microsoft.Extensions.Http {VersionOf(typeof(IHttpClientFactory))}; client 'api' signs in at {options.Authority}");

static string VersionOf(Type type) =>
    type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
