// A complete first program: `dotnet new console`, `dotnet add package AuthHandler`, then this file
// as Program.cs. It signs in with the device flow the first time, calls the API, and on later
// runs uses the stored sign-in. CI builds it, unchanged, from the packed package.
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
    .AddDeviceAuthHandler(options =>
    {
        options.Authority = "https://id.example.com";
        options.ClientId = "forecast-cli";
        options.Scope = "openid forecast.read offline_access";
        options.OnDeviceCode = code =>
        {
            Console.WriteLine($"Open {code.VerificationUriComplete ?? code.VerificationUri} and enter {code.UserCode}.");
            return ValueTask.CompletedTask;
        };
    });

await using var provider = services.BuildServiceProvider();

// The session of the typed client, named after its type. It reads the store; no network call.
var session = provider.GetRequiredKeyedService<IDeviceAuthSession>(nameof(ForecastApi));
if (await session.GetAccountAsync() is null)
{
    await session.SignInAsync();
}

var account = await session.GetAccountAsync();
Console.WriteLine($"Signed in as {account?.PreferredUsername ?? account?.Subject ?? "(no ID token)"}.");

var api = provider.GetRequiredService<ForecastApi>();
Console.WriteLine(await api.GetTodayAsync());

/// <summary>The API: a typed client whose requests carry the user's token.</summary>
internal sealed class ForecastApi(HttpClient client)
{
    public Task<string> GetTodayAsync() => client.GetStringAsync(new Uri("forecast/today", UriKind.Relative));
}
