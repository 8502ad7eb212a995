using System.CommandLine;
using System.CommandLine.Help;
using ApiClient.Commands;

namespace ApiClient.Cli;

/// <summary>The command line: the demo at the root, and login, call, status and logout.</summary>
internal static class ApiClientCommand
{
    /// <summary>Parses and runs <paramref name="args"/>; a line that does not parse gets a short usage (<see cref="UsageErrors"/>).</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var global = new GlobalOptions();
        var parseResult = Create(global).Parse(args);
        return UsageErrors.Report(parseResult, global) ?? await parseResult.InvokeAsync();
    }

    private static RootCommand Create(GlobalOptions global)
    {
        var server = new ServerOptions();
        var root = new RootCommand(DemoCommand.Description);
        global.AddTo(root);
        DemoCommand.Configure(root, global);
        root.Add(LoginCommand.Create(global, server));
        root.Add(CallCommand.Create(global, server));
        root.Add(StatusCommand.Create(global, server));
        root.Add(LogoutCommand.Create(global, server));
        root.Add(DemoCommand.Create(global));

        // Every command's help ends with the exit codes and the environment variables.
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help } helpOption)
            {
                helpOption.Action = new HelpWithFooterAction(help);
            }
        }

        return root;
    }
}
