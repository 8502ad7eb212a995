namespace AuthHandler.Browser.Internal;

/// <summary>
/// Whether a browser can be shown to the user here, for <see cref="SignInMethod.Automatic"/>.
/// Registered in the service collection to replace it (tests); the default reads the process's
/// environment.
/// </summary>
internal sealed class InteractiveEnvironment
{
    private readonly Func<string?> _whyNoBrowser;

    public InteractiveEnvironment(Func<string?> whyNoBrowser) => _whyNoBrowser = whyNoBrowser;

    /// <summary>Reads the environment of this process each time it is asked.</summary>
    public static InteractiveEnvironment System { get; } = new(() => Probe(Environment.GetEnvironmentVariable, Environment.UserInteractive));

    /// <summary>Null when a browser can be shown, else why not (for the log line).</summary>
    public string? WhyNoBrowser() => _whyNoBrowser();

    /// <summary>
    /// Linux and the BSDs: <c>DISPLAY</c> or <c>WAYLAND_DISPLAY</c> set and no SSH session
    /// (<c>SSH_CONNECTION</c>, <c>SSH_TTY</c>); macOS and Windows: an interactive session, not over SSH.
    /// </summary>
    public static string? Probe(Func<string, string?> variable, bool userInteractive)
    {
        if (!string.IsNullOrEmpty(variable("SSH_CONNECTION")) || !string.IsNullOrEmpty(variable("SSH_TTY")))
        {
            return "the process runs in an SSH session";
        }

        if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        {
            return userInteractive ? null : "the session is not interactive";
        }

        return string.IsNullOrEmpty(variable("DISPLAY")) && string.IsNullOrEmpty(variable("WAYLAND_DISPLAY"))
            ? "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
            : null;
    }
}
