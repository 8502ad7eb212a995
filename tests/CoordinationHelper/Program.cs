// Usage:
//   requests <store-dir> <authority> <api-url> <count>   waits for "go" on stdin, then sends <count>
//                                                          concurrent GET <api-url>/data and prints
//                                                          "ok=N failed=N" (exit 0 when all succeed);
//                                                          prints "waiting-for-lock" if its refresh finds
//                                                          the lock held, "lock-acquired" once it has it
//   hold-lock <store-dir> <authority>                      takes the refresh lock, prints "locked",
//                                                          and holds it until killed
using System.Net;
using AuthHandler;
using AuthHandler.CoordinationHelper;
using Microsoft.Extensions.DependencyInjection;

var mode = args[0];
var storeDirectory = args[1];
var authority = args[2];

var services = new ServiceCollection();
if (mode == "requests")
{
    // The lock the session would use with this store anyway, reporting its waits.
    services.AddSingleton<IRefreshLock>(new ReportingRefreshLock(new FileRefreshLock(storeDirectory)));
}

var builder = services.AddHttpClient("api", c => c.BaseAddress = new Uri(mode == "requests" ? args[3] : authority));
builder.AddDeviceAuthHandler(o =>
{
    o.Authority = authority;
    o.ClientId = "cli";
    o.TokenEndpoint = new Uri(authority + "/token");
    o.StorageDirectory = storeDirectory;
    o.DeviceHeaders.Enabled = false;
    o.BackchannelMaxRetryAttempts = 0;
});
await using var provider = services.BuildServiceProvider();
var session = provider.GetRequiredKeyedService<DeviceAuthSession>("api");

if (mode == "hold-lock")
{
    await using var held = await new FileRefreshLock(storeDirectory).AcquireAsync(session.StoreKey, CancellationToken.None);
    Console.WriteLine("locked");
    await Task.Delay(Timeout.Infinite);
    return 0;
}

var count = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");
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
    catch (Exception ex) when (ex is HttpRequestException or TokenEndpointException or TaskCanceledException)
    {
        Console.Error.WriteLine(ex.GetType().Name + ": " + ex.Message);
        return false;
    }
}));

var ok = results.Count(r => r);
Console.WriteLine($"ok={ok} failed={count - ok}");
return ok == count ? 0 : 1;
