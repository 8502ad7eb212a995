using System.CommandLine;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;

namespace ApiClient.Commands;

/// <summary><c>call URL</c>: one GET through the handler, with the stored sign-in.</summary>
internal static class CallCommand
{
    public static Command Create(GlobalOptions global, ServerOptions server)
    {
        var url = new Argument<string>("URL")
        {
            Description = "The API URL to GET (https, or http on loopback). Only its origin receives the token and the device headers.",
        };
        return CommandRunner.ServerCommand(
            "call",
            "GET a URL with the stored sign-in and print the body. The access token is refreshed when needed (once for all processes sharing --store). Exit 0 on 2xx, 2 when a sign-in is required, 1 otherwise.",
            global,
            server,
            [url],
            (parseResult, settings, output, reporter, token) => RunAsync(parseResult.GetRequiredValue(url), settings, output, reporter, token));
    }

    private static async Task<int> RunAsync(string url, ServerSettings server, OutputSettings output, Reporter reporter, CancellationToken cancellationToken)
    {
        if (ServerOptions.CheckUrl(new Setting(url, "URL", FromCommandLine: true), "the API URL, e.g. https://api.example.com/me") is { } problem)
        {
            reporter.Error("usage", problem, ExitCodes.Failure);
            return ExitCodes.Failure;
        }

        var uri = new Uri(url);
        var origin = new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");

        // Throwing is the clearest signal for a one-shot command: it carries the reason, and maps to exit code 2.
        var provider = ClientServices.Build(server, origin, output.Verbose, options => options.SignInRequiredBehavior = SignInRequiredBehavior.ThrowException);
        await using (provider)
        {
            // The session raises its events before the request that waited for the refresh resumes,
            // so each event's line comes before the response or the exit message.
            var session = ClientServices.Session(provider);
            session.Refreshed += (_, arguments) => reporter.Refreshed(arguments);
            session.SignInRequired += (_, arguments) => reporter.Unauthorized(arguments);

            var api = provider.GetRequiredService<ProtectedApi>();
            try
            {
                var response = await api.GetAsync(uri, cancellationToken);
                reporter.Response(uri, response);
                return response.IsSuccess ? ExitCodes.Success : ExitCodes.Failure;
            }
            catch (SignInRequiredException ex)
            {
                reporter.Error("sign_in_required", Failures.SignInRequired(ex.Reason, server), ExitCodes.SignInRequired);
                return ExitCodes.SignInRequired;
            }
        }
    }
}
