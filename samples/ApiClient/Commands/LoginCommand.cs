using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;

namespace ApiClient.Commands;

/// <summary><c>login</c>: the device flow against a real authorization server.</summary>
internal static class LoginCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server) => CommandRunner.ServerCommand(
        "login",
        "Sign in with the device flow (RFC 8628): shows the verification URL and code (and a QR code on a terminal), waits while you approve in a browser, and stores the tokens. Exit 0 when signed in, 3 when declined, 4 when the code expired.",
        global,
        server,
        RunAsync);

    private static async Task<int> RunAsync(ServerSettings server, OutputSettings output, Reporter reporter, CancellationToken cancellationToken)
    {
        // No API call is made: the session alone.
        var provider = ClientServices.Build(server, apiBaseAddress: null, output.Verbose);
        await using (provider)
        {
            var session = ClientServices.Session(provider);
            await DeviceSignIn.RunAsync(session, reporter, hint: null, TimeProvider.System, cancellationToken);
            reporter.SignedIn(await SessionInspector.ReportAsync(server, session, TimeProvider.System, cancellationToken));
            return ExitCodes.Success;
        }
    }
}
