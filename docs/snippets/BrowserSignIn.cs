using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/browser-sign-in.md.</summary>
public static class BrowserSignIn
{
    /// <summary>A desktop app that signs in with the browser, and with the device code over SSH.</summary>
    /// <param name="services">The application's services.</param>
    public static void Register(IServiceCollection services)
    {
        #region register
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.SignInMethod = SignInMethod.Automatic;   // the default: browser on a desktop, else device code
                options.Browser.OnAuthorizationUrl = (url, _) =>
                {
                    Console.WriteLine($"If no browser opens, go to {url}");
                    return ValueTask.CompletedTask;
                };
                options.OnDeviceCode = code =>
                {
                    Console.WriteLine($"Go to {code.VerificationUri} and enter {code.UserCode}");
                    return ValueTask.CompletedTask;
                };
            });
        #endregion
    }

    /// <summary>Signing in, with each failure told apart.</summary>
    /// <param name="session">The client's session.</param>
    /// <returns>A task that completes when the user signed in or the sign-in failed.</returns>
    public static async Task SignInAsync(IDeviceAuthSession session)
    {
        #region sign-in
        try
        {
            await session.SignInAsync(SignInMethod.Browser);
        }
        catch (BrowserSignInException ex) when (ex.Failure == BrowserSignInFailure.AccessDenied)
        {
            Console.WriteLine("You declined the sign-in.");
        }
        catch (BrowserSignInException ex) when (ex.Failure == BrowserSignInFailure.BrowserNotOpened)
        {
            await session.SignInAsync(SignInMethod.DeviceCode);   // no browser here: fall back
        }
        catch (BrowserSignInException ex)
        {
            Console.WriteLine($"Sign-in failed ({ex.Failure}): {ex.Message}");
        }
        #endregion
    }
}
