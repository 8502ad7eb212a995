using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Commands;

/// <summary><c>logout</c>: delete the stored tokens and revoke the refresh token where the server allows.</summary>
internal static class LogoutCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server) => CommandRunner.ServerCommand(
        "logout",
        "Sign out: delete the stored tokens and revoke the refresh token at the server when it has a revocation endpoint (RFC 7009). Exit 0 once the tokens are gone, even if the revocation failed.",
        global,
        server,
        RunAsync);

    private static async Task<int> RunAsync(ServerSettings server, OutputSettings output, Reporter reporter, CancellationToken cancellationToken)
    {
        var provider = ClientServices.Build(server, apiBaseAddress: null, output.Verbose);
        await using (provider)
        {
            var session = ClientServices.Session(provider);
            var hadTokens = await HadTokensAsync(session, cancellationToken);
            var revocation = await session.SignOutAsync(cancellationToken);
            reporter.SignedOut(revocation, hadTokens);
            return ExitCodes.Success;
        }
    }

    /// <summary>Whether there is a sign-in to end: stored tokens, or an entry that cannot be read. A sign-out record is none.</summary>
    private static async Task<bool> HadTokensAsync(DeviceAuthSession session, CancellationToken cancellationToken)
    {
        try
        {
            return await session.GetAccountAsync(cancellationToken) is not null;
        }
        catch (TokenStoreException)
        {
            return true;
        }
    }
}
