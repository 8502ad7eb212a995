// Usage:
//   requests <store-dir> <authority> <api-url> <count> [redis <configuration> <key-ring-dir> <application-name>]
//       waits for "go" on stdin, then sends <count> concurrent GET <api-url>/data and prints
//       "ok=N failed=N" (exit 0 when all succeed). With the file store (the default, in
//       <store-dir>) prints "waiting-for-lock" if its refresh finds the lock held; with "redis"
//       its tokens and lock are in that Redis (<store-dir> holds only the device id), protected
//       with the Data Protection key ring in <key-ring-dir>. Either way prints "lock-acquired"
//       (with " fence=N" for Redis) once it has the lock, "refreshed" after each refresh it made,
//       "sign-in-required reason=R" when the session signs out, and "log <category> <event id>"
//       for each warning or error the library logs (ids only: no message can carry a secret).
//   requests <store-dir> <authority> <api-url> <count> credential
//       the same with UseCredentialTokenStore(): the tokens in the Secret Service of the session
//       bus that DBUS_SESSION_BUS_ADDRESS names, the lock a file lock in <store-dir>.
//   requests <store-dir> <authority> <api-url> <count> dpop <label>
//       the same with the file store and o.DPoP.Enabled = true: the key is the one stored with
//       the tokens, every token and API request carries a proof. Each API request also carries
//       "X-Helper: <label>", so the test can tell on the server's side which process sent it.
//   hold-lock <store-dir> <authority>
//       takes the file refresh lock, prints "locked", and holds it until killed
using System.Globalization;
using System.Net;
using AuthHandler;
using AuthHandler.CoordinationHelper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

const string ClientName = "api";
var mode = args[0];
var storeDirectory = args[1];
var authority = args[2];
var redis = mode == "requests" && args.Length > 5 && args[5] == "redis";
var credential = mode == "requests" && args.Length > 5 && args[5] == "credential";
var dpop = mode == "requests" && args.Length > 5 && args[5] == "dpop";

var services = new ServiceCollection();
services.AddLogging(logging => logging.AddProvider(new EventIdReporter()));
if (mode == "requests" && !redis && !credential)
{
    // The lock the session would use with this store anyway, reporting its waits.
    services.AddSingleton<IRefreshLock>(new ReportingRefreshLock(new FileRefreshLock(storeDirectory), reportsWaiting: true));
}

var builder = services.AddHttpClient(ClientName, c =>
{
    c.BaseAddress = new Uri(mode == "requests" ? args[3] : authority);
    if (dpop)
    {
        c.DefaultRequestHeaders.Add("X-Helper", args[6]);
    }
});
var deviceAuth = builder.AddDeviceAuthHandler(o =>
{
    o.Authority = authority;
    o.ClientId = "cli";
    o.TokenEndpoint = new Uri(authority + "/token");
    o.StorageDirectory = storeDirectory;
    o.DeviceHeaders.Enabled = false;
    o.BackchannelMaxRetryAttempts = 0;
    o.DPoP.Enabled = dpop;
});
if (redis)
{
    services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(args[7])).SetApplicationName(args[8]);
    deviceAuth.AddRedisTokenCoordination(o => o.Configuration = args[6]);
    ReportingRefreshLock.DecorateKeyed(services, ClientName);
}

if (credential)
{
    deviceAuth.UseCredentialTokenStore();
    ReportingRefreshLock.DecorateKeyed(services, ClientName, reportsWaiting: true);
}

await using var provider = services.BuildServiceProvider();
var session = provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
session.Refreshed += (_, _) => Console.WriteLine("refreshed");
session.SignInRequired += (_, e) => Console.WriteLine("sign-in-required reason=" + e.Reason);

if (mode == "hold-lock")
{
    await using var held = await new FileRefreshLock(storeDirectory).AcquireAsync(session.StoreKey, CancellationToken.None);
    Console.WriteLine("locked");
    await Task.Delay(Timeout.Infinite);
    return 0;
}

var count = int.Parse(args[4], CultureInfo.InvariantCulture);
var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
Console.WriteLine("ready");
if (Console.ReadLine() != "go")
{
    return 1;
}

var results = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
{
    try
    {
        using var response = await client.GetAsync("/data");
        return response.StatusCode == HttpStatusCode.OK;
    }
    catch (Exception ex)
    {
        // The type only: a message may quote what the server sent.
        Console.Error.WriteLine("request failed: " + ex.GetType().Name);
        return false;
    }
}));

var ok = results.Count(r => r);
Console.WriteLine($"ok={ok} failed={count - ok}");
return ok == count ? 0 : 1;
