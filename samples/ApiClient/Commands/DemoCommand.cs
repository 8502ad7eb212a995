using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Demo;
using ApiClient.Output;

namespace ApiClient.Commands;

/// <summary>The root command's action: the offline demo.</summary>
internal static class DemoCommand
{
    public const string Description =
        """
        With no command, runs an offline demo: an embedded authorization server and API on 127.0.0.1, and a typed
        client registered with AddHttpClient<T>().AddDeviceAuthHandler() that 1. signs in with the device flow,
        2. calls the API with the device headers, 3. lets the access token expire and refreshes it once,
        4. sends a burst of concurrent calls after the server invalidates the token (one refresh for all), and
        5. sees the refresh token revoked: the sign-in-required signal and a clean signed-out state. The tokens are
        DPoP-bound (RFC 9449), as with login --dpop, and the server checks every proof. No network, no set-up.
        `demo --browser` signs in with the browser instead (the embedded server's Approve/Deny page).
        With a command, works against a real authorization server.
        """;

    public static void Configure(RootCommand root, GlobalOptions global) =>
        root.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, global, browser: false, cancellationToken));

    /// <summary><c>demo</c>: the same demo as with no command; <c>demo --browser</c> signs in with the browser in step 1.</summary>
    public static Command Create(GlobalOptions global)
    {
        var browser = new Option<bool>("--browser")
        {
            Description = "Sign in with the browser (authorization code with PKCE) instead of the device flow: the embedded server shows an Approve/Deny page. Opens your browser (or AUTHHANDLER_BROWSER); AUTHHANDLER_DEMO_AUTO_APPROVE=1 approves without one.",
        };
        var command = new Command("demo", "Runs the offline demo, as with no command.") { browser };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, global, parseResult.GetValue(browser), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, GlobalOptions global, bool browser, CancellationToken cancellationToken)
    {
        var output = global.Resolve(parseResult);
        var reporter = Reporter.Create(output, story: true);
        try
        {
            return await new DemoStory(reporter, output.Verbose, TimeProvider.System) { Browser = browser }.RunAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            return Failures.Report(ex, reporter, server: null, cancellationToken);
        }
    }
}
