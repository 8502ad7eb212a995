using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace ApiClient.Cli;

/// <summary>The standard help, followed by the exit codes and the environment variables.</summary>
internal sealed class HelpWithFooterAction : SynchronousCommandLineAction
{
    private readonly HelpAction _help;

    public HelpWithFooterAction(HelpAction help) => _help = help;

    /// <summary>Like the standard help: <c>login --help</c> works without the required options.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var exitCode = _help.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine(ExitCodes.HelpText);
        output.WriteLine();
        output.WriteLine(EnvironmentVariables.HelpText);
        output.WriteLine();
        return exitCode;
    }
}
