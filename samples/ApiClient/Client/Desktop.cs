namespace ApiClient.Client;

/// <summary>
/// Whether a browser window would reach the user: as <c>gh auth login</c> decides it. Not over SSH
/// (the browser would open on the remote machine, where nobody looks), not when standard output
/// goes to a file or a pipe (a script or CI runs us), and on Linux and the BSDs only with a display
/// server to show a window on. Windows and macOS always have a desktop for an interactive user.
/// </summary>
internal static class Desktop
{
    /// <summary>Test seam: treat standard output as a terminal, since a test's child process never has one.</summary>
    public const string AssumeTerminalVariable = "AUTHHANDLER_SAMPLE_ASSUME_TERMINAL";

    /// <summary>Why no browser should be opened, or <see langword="null"/> when one should.</summary>
    public static string? WhyNot() =>
        WhyNot(Environment.GetEnvironmentVariable, Console.IsOutputRedirected, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS());

    /// <summary>The rule itself, over the facts it reads.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="outputRedirected">Whether standard output is a file or a pipe.</param>
    /// <param name="alwaysDesktop">Windows or macOS.</param>
    public static string? WhyNot(Func<string, string?> environment, bool outputRedirected, bool alwaysDesktop)
    {
        bool IsSet(string name) => !string.IsNullOrEmpty(environment(name));

        if (IsSet("SSH_CONNECTION") || IsSet("SSH_TTY"))
        {
            return "this is an SSH session";
        }

        if (outputRedirected && environment(AssumeTerminalVariable) != "1")
        {
            return "standard output is not a terminal";
        }

        if (!alwaysDesktop && !IsSet("DISPLAY") && !IsSet("WAYLAND_DISPLAY"))
        {
            return "there is no desktop (neither DISPLAY nor WAYLAND_DISPLAY is set)";
        }

        return null;
    }
}
