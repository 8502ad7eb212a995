using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;

namespace ApiClient.Commands;

/// <summary><c>status</c>: what is stored, read through the session from the token store; no network, no token shown.</summary>
internal static class StatusCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server) => CommandRunner.ServerCommand(
        "status",
        "Show whether you are signed in: account (when the server issued an ID token), scope, access-token expiry, refresh token. Never shows a token; makes no network call. Exit 0 when signed in, 2 when a sign-in is required.",
        global,
        server,
        RunAsync);

    private static async Task<int> RunAsync(ServerSettings server, OutputSettings output, Reporter reporter, CancellationToken cancellationToken)
    {
        var provider = ClientServices.Build(server, apiBaseAddress: null, output.Verbose);
        await using (provider)
        {
            // The session reads its own store entry (found by authority, client id and scopes).
            var storage = await ClientServices.StorageLocationAsync(provider, cancellationToken);
            var report = await SessionInspector.ReportAsync(server, ClientServices.Session(provider), storage, provider, TimeProvider.System, cancellationToken);
            reporter.Status(report);
            return report.SignedIn ? ExitCodes.Success : ExitCodes.SignInRequired;
        }
    }
}
