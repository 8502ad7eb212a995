using System.CommandLine;
using ApiClient.Output;

namespace ApiClient.Cli;

/// <summary>Runs a command's body with its reporter, and turns any failure into a line and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>A command that takes the server options and runs <paramref name="body"/> with them.</summary>
    public static Command ServerCommand(
        string name,
        string description,
        GlobalOptions global,
        ServerOptions server,
        Func<ServerSettings, OutputSettings, Reporter, CancellationToken, Task<int>> body) =>
        ServerCommand(name, description, global, server, [], (_, settings, output, reporter, cancellationToken) => body(settings, output, reporter, cancellationToken));

    /// <summary>A command with the server options and <paramref name="symbols"/> of its own, whose values <paramref name="body"/> reads from the parse result.</summary>
    public static Command ServerCommand(
        string name,
        string description,
        GlobalOptions global,
        ServerOptions server,
        Symbol[] symbols,
        Func<ParseResult, ServerSettings, OutputSettings, Reporter, CancellationToken, Task<int>> body)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Add(argument);
                    break;
                case Option option:
                    command.Add(option);
                    break;
            }
        }

        server.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult,
            global,
            server,
            (settings, output, reporter, token) => body(parseResult, settings, output, reporter, token),
            cancellationToken));
        return command;
    }

    /// <summary>For commands that talk to an authorization server: resolves the server options first.</summary>
    public static async Task<int> RunAsync(
        ParseResult parseResult,
        GlobalOptions global,
        ServerOptions serverOptions,
        Func<ServerSettings, OutputSettings, Reporter, CancellationToken, Task<int>> body,
        CancellationToken cancellationToken)
    {
        var output = global.Resolve(parseResult);
        var reporter = Reporter.Create(output);
        var server = serverOptions.Resolve(parseResult, out var error, out var warning);
        if (warning is not null)
        {
            reporter.Warning(warning);
        }

        if (server is null)
        {
            reporter.Error("usage", error ?? "Invalid options.", ExitCodes.Failure);
            return ExitCodes.Failure;
        }

        try
        {
            return await body(server, output, reporter, cancellationToken);
        }
        catch (Exception ex)
        {
            return Failures.Report(ex, reporter, server, cancellationToken);
        }
    }
}
