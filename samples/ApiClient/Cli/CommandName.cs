namespace ApiClient.Cli;

/// <summary>
/// How to start this app again from the current directory, for hints such as "Run: … login".
/// A hint is only useful if it can be pasted where the user is: under <c>dotnet run</c> that is
/// <c>dotnet run --project samples/ApiClient --</c>, for <c>dotnet ApiClient.dll</c> it is that,
/// and for a published executable its name (when it is on PATH) or its path.
/// </summary>
internal static class CommandName
{
    private const string AppName = "ApiClient";

    private static readonly Lazy<string> Current = new(Find);

    /// <summary>The command that starts this app, e.g. <c>dotnet run --project samples/ApiClient --</c>.</summary>
    public static string Value => Current.Value;

    /// <summary>The command that runs the offline demo: the app with no arguments.</summary>
    public static string Demo => Value.EndsWith(" --", StringComparison.Ordinal) ? Value[..^3] : Value;

    /// <summary><see cref="Value"/> followed by <paramref name="arguments"/>.</summary>
    public static string With(string arguments) => Value + " " + arguments;

    private static string Find()
    {
        var baseDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

        // A build from source sits in <project>/bin/<configuration>/<framework>/, as dotnet run starts it.
        var project = Path.GetFullPath(Path.Combine(baseDirectory, "..", "..", ".."));
        if (File.Exists(Path.Combine(project, AppName + ".csproj")))
        {
            return $"dotnet run --project {Quote(Relative(project))} --";
        }

        var process = Environment.ProcessPath;
        var processName = Path.GetFileNameWithoutExtension(process);
        if (process is null || string.Equals(processName, "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return "dotnet " + Quote(Relative(Path.Combine(baseDirectory, AppName + ".dll")));
        }

        var directory = Path.GetDirectoryName(process);
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(entry => string.Equals(Path.GetFullPath(entry).TrimEnd(Path.DirectorySeparatorChar), directory, StringComparison.Ordinal));
        if (onPath)
        {
            return processName ?? AppName;
        }

        var relative = Relative(process);
        return Quote(Path.IsPathRooted(relative) || relative.StartsWith('.') ? relative : "." + Path.DirectorySeparatorChar + relative);
    }

    /// <summary>The path relative to the current directory when it lies below it, else the full path.</summary>
    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    /// <summary>Quotes a value for a POSIX shell or cmd when it holds anything but plain path characters.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_.:/\\@%+=,".Contains(c, StringComparison.Ordinal))
            ? value
            : "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
