using System.CommandLine;

namespace ApiClient.Cli;

/// <summary>The options every command has: how to print, and how much.</summary>
internal sealed class GlobalOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object per line, one per event (code_issued, waiting, signed_in, refreshed, signed_out, response, status, error), for scripts and editors. [env: AUTHHANDLER_JSON=1]",
        Recursive = true,
    };

    public Option<bool> NoColor { get; } = new("--no-color")
    {
        Description = "Plain lines: no colors, spinner or QR code (also when output is not a terminal). [env: AUTHHANDLER_NO_COLOR=1 or NO_COLOR]",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Write the AuthHandler library's log to standard error. [env: AUTHHANDLER_VERBOSE=1]",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Add(Json);
        command.Add(NoColor);
        command.Add(Verbose);
    }

    public OutputSettings Resolve(ParseResult parseResult)
    {
        var json = parseResult.GetValue(Json) || EnvironmentVariables.IsSet(EnvironmentVariables.Json);
        var noColor = parseResult.GetValue(NoColor)
            || EnvironmentVariables.IsSet(EnvironmentVariables.NoColor)
            || EnvironmentVariables.Get(EnvironmentVariables.NoColorConvention) is not null;
        var terminal = !Console.IsOutputRedirected && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        var verbose = parseResult.GetValue(Verbose) || EnvironmentVariables.IsSet(EnvironmentVariables.Verbose);
        return new OutputSettings(json, Rich: !json && !noColor && terminal, verbose);
    }
}
