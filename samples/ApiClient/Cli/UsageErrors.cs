using System.CommandLine;
using System.CommandLine.Invocation;
using ApiClient.Output;

namespace ApiClient.Cli;

/// <summary>
/// A command line that does not parse gets what was wrong, System.CommandLine's typo corrections
/// and a short usage line, not the whole help: the help is 45 lines, and the mistake scrolls away.
/// </summary>
internal static class UsageErrors
{
    /// <summary>Reports the parse errors, if any, and returns the exit code; <see langword="null"/> when the line parsed.</summary>
    public static int? Report(ParseResult parseResult, GlobalOptions global)
    {
        if (parseResult.Action is not ParseErrorAction action)
        {
            return null;
        }

        // The library's own action finds the corrections; it writes them beside the errors, which we already have.
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        using var captured = new StringWriter();
        var errors = parseResult.Errors.Select(error => error.Message).ToList();
        var exitCode = parseResult.Invoke(new InvocationConfiguration { Output = captured, Error = captured });
        var corrections = captured.ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !errors.Contains(line, StringComparer.Ordinal));

        var command = parseResult.CommandResult.Command;
        var path = command is RootCommand ? string.Empty : " " + command.Name;
        var message = string.Join(
            Environment.NewLine,
            [
                .. errors,
                .. corrections,
                $"Usage: {CommandName.Value}{path} {Shape(command)}",
                $"Run '{CommandName.Value}{path} --help' for all options, exit codes and environment variables.",
            ]);
        Reporter.Create(global.Resolve(parseResult)).Error("usage", message, exitCode);
        return exitCode;
    }

    /// <summary>What follows the command's name: its subcommands and arguments, then [options].</summary>
    private static string Shape(Command command)
    {
        var parts = new List<string>();
        if (command.Subcommands.Count > 0)
        {
            parts.Add("[" + string.Join('|', command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)) + "]");
        }

        parts.AddRange(command.Arguments.Select(argument => "<" + argument.Name + ">"));
        parts.Add("[options]");
        return string.Join(' ', parts);
    }
}
