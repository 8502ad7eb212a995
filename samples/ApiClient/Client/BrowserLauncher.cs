using System.ComponentModel;
using System.Diagnostics;
using ApiClient.Cli;

namespace ApiClient.Client;

/// <summary>
/// Opens a URL in the user's browser: <c>xdg-open</c> on Linux and the BSDs, <c>open</c> on macOS,
/// the shell's URL association on Windows, or the program named by <c>AUTHHANDLER_BROWSER</c>
/// (e.g. <c>wslview</c>; tests put a recorder there). The URL comes from the authorization server,
/// so it is checked to be http(s) and handed over as one argument, never through a shell.
/// </summary>
internal sealed class BrowserLauncher
{
    /// <summary>How long a launcher may take to fail before we say the page is open; it is not waited for beyond that.</summary>
    private static readonly TimeSpan FailureWindow = TimeSpan.FromSeconds(1);

    private readonly string? _program;

    private BrowserLauncher(string? program) => _program = program;

    /// <summary>The launcher <c>AUTHHANDLER_BROWSER</c> names, else the system's.</summary>
    public static BrowserLauncher FromEnvironment() =>
        new(EnvironmentVariables.Get(EnvironmentVariables.Browser) is { } program ? program : null);

    /// <summary>Whether <paramref name="url"/> is safe to hand to a launcher: absolute http(s), nothing a command line could split.</summary>
    public static bool IsOpenable(Uri url) =>
        url.IsAbsoluteUri
        && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && !url.AbsoluteUri.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '"');

    /// <summary>Starts the launcher; returns <see langword="null"/> when it started (and did not fail at once), else why not.</summary>
    public async Task<string?> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!IsOpenable(url))
        {
            return "the server's URL is not a plain http(s) URL";
        }

        var start = Start(url.AbsoluteUri);
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return $"{start.FileName} could not be started ({ex.Message.TrimEnd('.')})";
        }

        if (process is null)
        {
            // ShellExecute handed the URL to a browser that was already running.
            return null;
        }

        if (!start.UseShellExecute)
        {
            // Browsers chat on their output ("Opening in existing browser session."): keep it off the user's terminal.
            process.StandardInput.Close();
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        var exited = process.WaitForExitAsync(CancellationToken.None);
        var failed = await Task.WhenAny(exited, Task.Delay(FailureWindow, cancellationToken)) == exited && process.ExitCode != 0;
        var problem = failed ? $"{start.FileName} exited with code {process.ExitCode}" : null;

        // Not waited for: xdg-open may stay until the browser exits. Released once it has.
        _ = exited.ContinueWith(_ => process.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return problem;
    }

    private ProcessStartInfo Start(string url)
    {
        ProcessStartInfo start;
        if (_program is not null)
        {
            start = new ProcessStartInfo(_program);
        }
        else if (OperatingSystem.IsWindows())
        {
            // Not `cmd /c start "" URL`: cmd reparses its command line, so the & and % that URLs
            // carry would split or expand it. ShellExecute takes the URL as the file to open, unparsed.
            return new ProcessStartInfo(url) { UseShellExecute = true };
        }
        else
        {
            start = new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open");
        }

        start.ArgumentList.Add(url);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }
}
