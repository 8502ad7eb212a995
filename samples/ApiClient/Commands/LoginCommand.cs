using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Commands;

/// <summary><c>login</c>: the device flow against a real authorization server.</summary>
internal static class LoginCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server)
    {
        var noBrowser = new Option<bool>("--no-browser")
        {
            Description = "Do not open the verification page in a browser. (It opens only on a desktop anyway: never over SSH or when output is redirected.)",
        };
        return CommandRunner.ServerCommand(
            "login",
            "Sign in with the device flow (RFC 8628): shows the verification URL and code (and a QR code on a terminal), opens the page in your browser on a desktop, waits while you approve, and stores the tokens. Remembers the server, client id and scope for call, status and logout. Exit 0 when signed in, 3 when declined, 4 when the code expired.",
            global,
            server,
            [noBrowser],
            (parseResult, settings, output, reporter, token) => RunAsync(settings, output, reporter, openBrowser: !parseResult.GetValue(noBrowser), token));
    }

    private static async Task<int> RunAsync(ServerSettings server, OutputSettings output, Reporter reporter, bool openBrowser, CancellationToken cancellationToken)
    {
        Func<OnDeviceCodeArguments, CancellationToken, Task>? codeShown = openBrowser && Desktop.WhyNot() is null
            ? (code, token) => OpenBrowserAsync(code, reporter, token)
            : null;

        // No API call is made: the session alone signs in.
        var provider = ClientServices.Build(server, apiBaseAddress: null, output.Verbose);
        await using (provider)
        {
            var session = ClientServices.Session(provider);
            await DeviceSignIn.RunAsync(session, reporter, hint: null, codeShown, TimeProvider.System, cancellationToken);
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
