using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Commands;

/// <summary><c>login</c>: the browser sign-in or the device flow against a real authorization server.</summary>
internal static class LoginCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server)
    {
        var noBrowser = new Option<bool>("--no-browser")
        {
            Description = "Sign in with a device code and never open a browser: neither the browser sign-in nor the device flow's verification page. (A browser opens only on a desktop anyway: never over SSH or when output is redirected.)",
        };
        var browser = new Option<bool>("--browser")
        {
            Description = "Sign in in the browser (authorization code with PKCE on a loopback redirect, RFC 8252), even where the automatic choice would not: the sign-in URL is shown, so it can be opened by hand.",
        };
        var deviceCode = new Option<bool>("--device-code")
        {
            Description = "Sign in with a device code (RFC 8628), even on a desktop whose server supports the browser sign-in.",
        };
        return CommandRunner.ServerCommand(
            "login",
            "Sign in and store the tokens. By default the browser on a desktop whose server supports it (authorization code with PKCE, RFC 8252), else the device flow (RFC 8628): shows the verification URL and code (and a QR code on a terminal), opens the page in your browser on a desktop, and waits while you approve. Remembers the server, client id and scope for call, status and logout. Exit 0 when signed in, 3 when declined, 4 when the code expired or the browser sign-in timed out.",
            global,
            server,
            [browser, deviceCode, noBrowser],
            (parseResult, settings, output, reporter, token) =>
            {
                var chosen = (Browser: parseResult.GetValue(browser), DeviceCode: parseResult.GetValue(deviceCode), NoBrowser: parseResult.GetValue(noBrowser));
                if (chosen.Browser && (chosen.DeviceCode || chosen.NoBrowser))
                {
                    reporter.Error("usage", $"--browser cannot be combined with {(chosen.DeviceCode ? "--device-code" : "--no-browser")}: pass one sign-in method.", ExitCodes.Failure);
                    return Task.FromResult(ExitCodes.Failure);
                }

                var desktop = Desktop.WhyNot() is null;
                var method = chosen.Browser ? SignInMethod.Browser
                    : chosen.DeviceCode || chosen.NoBrowser || !desktop ? SignInMethod.DeviceCode
                    : SignInMethod.Automatic;
                return RunAsync(settings, output, reporter, method, openVerificationPage: !chosen.NoBrowser && desktop, token);
            });
    }

    private static async Task<int> RunAsync(ServerSettings server, OutputSettings output, Reporter reporter, SignInMethod method, bool openVerificationPage, CancellationToken cancellationToken)
    {
        Func<OnDeviceCodeArguments, CancellationToken, Task>? codeShown = openVerificationPage
            ? (code, token) => OpenBrowserAsync(code, reporter, token)
            : null;

        // The browser sign-in opens the authorization URL with this sample's launcher (AUTHHANDLER_BROWSER).
        var launcher = BrowserLauncher.FromEnvironment();
        var signIn = new InteractiveSignIn(reporter, method, launcher.OpenAsync);

        // No API call is made: the session alone signs in.
        var provider = ClientServices.Build(server, apiBaseAddress: null, output.Verbose, signIn.Configure);
        await using (provider)
        {
            var session = ClientServices.Session(provider);
            await signIn.RunAsync(session, hint: null, codeShown, TimeProvider.System, cancellationToken);
            var storage = await ClientServices.StorageLocationAsync(provider, cancellationToken);
            reporter.SignedIn(await SessionInspector.ReportAsync(server, session, storage, provider, TimeProvider.System, cancellationToken));
        }

        if (RememberedConfig.Save(server.ToRemembered()) is { } warning)
        {
            reporter.Warning(warning);
        }
        else
        {
            reporter.Remembered(RememberedConfig.FilePath);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Opens verification_uri_complete when the server sent one (RFC 8628 §3.3.1): the code is in it,
    /// so nothing has to be typed or copied; the user only checks it matches the one shown here.
    /// </summary>
    private static async Task OpenBrowserAsync(OnDeviceCodeArguments code, Reporter reporter, CancellationToken cancellationToken)
    {
        var url = code.VerificationUriComplete ?? code.VerificationUri;
        if (await BrowserLauncher.FromEnvironment().OpenAsync(url, cancellationToken) is { } problem)
        {
            reporter.Warning($"Could not open a browser: {problem}. Open the URL above yourself, or pass --no-browser.");
            return;
        }

        reporter.BrowserOpened(url);
    }
}
