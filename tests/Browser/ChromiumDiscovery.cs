namespace AuthHandler.Tests.Browser;

/// <summary>
/// Finds the system chromium the browser tests drive. <see cref="EnvironmentVariable"/>, when set, is the
/// only candidate (so <c>AUTHHANDLER_CHROMIUM=/nonexistent</c> hides the browser instead of falling
/// back); else /usr/bin/chromium, /usr/bin/chromium-browser, then <c>chromium</c> and
/// <c>chromium-browser</c> on PATH. Never a downloaded build.
/// </summary>
internal static class ChromiumDiscovery
{
    public const string EnvironmentVariable = "AUTHHANDLER_CHROMIUM";

    private static readonly string[] WellKnownPaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    private static readonly string[] PathNames = ["chromium", "chromium-browser"];

    /// <summary>
    /// The chromium to drive. When there is none the calling test ends: skipped locally with the
    /// reason, failed under CI=true (where .ci/run installs chromium, so its absence is a defect).
    /// </summary>
    public static string Require() => Require(Environment.GetEnvironmentVariable);

    /// <summary><see cref="Require()"/> with the environment given, for the discovery's own tests.</summary>
    public static string Require(Func<string, string?> environment)
    {
        var executable = Find(environment, out var reason);
        if (executable is not null)
        {
            return executable;
        }

        if (MissingIsFailure(environment))
        {
            Assert.Fail(reason + "; under CI=true .ci/run installs chromium, so its absence is a failure");
        }

        Assert.Skip(reason);
        return null!;
    }

    /// <summary>Under CI=true (.ci/run installs chromium) a missing chromium fails the test instead of skipping it.</summary>
    public static bool MissingIsFailure(Func<string, string?> environment) =>
        string.Equals(environment("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The chromium executable, or null with <paramref name="reason"/> saying what was looked for.</summary>
    public static string? Find(Func<string, string?> environment, out string reason) => Find(environment, WellKnownPaths, out reason);

    /// <summary><see cref="Find(Func{string, string?}, out string)"/> with the fixed paths given, for the discovery's own tests.</summary>
    public static string? Find(Func<string, string?> environment, IReadOnlyList<string> wellKnownPaths, out string reason)
    {
        var configured = environment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            if (IsExecutableFile(configured))
            {
                reason = string.Empty;
                return configured;
            }

            reason = $"{EnvironmentVariable}={configured} is not an executable file (when set it is the only place chromium is looked for)";
            return null;
        }

        var candidates = wellKnownPaths.Concat(
            (environment("PATH") ?? string.Empty)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(directory => PathNames.Select(name => Path.Combine(directory, name))));
        var found = candidates.FirstOrDefault(IsExecutableFile);
        reason = found is null
            ? $"chromium not found ({string.Join(", ", wellKnownPaths)}, chromium or chromium-browser on PATH; or set {EnvironmentVariable}): the browser tests need a real chromium (apt-get install chromium)"
            : string.Empty;
        return found;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        return OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
