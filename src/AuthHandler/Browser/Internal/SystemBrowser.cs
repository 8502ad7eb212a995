using System.ComponentModel;
using System.Diagnostics;

namespace AuthHandler.Browser.Internal;

/// <summary>
/// The default launcher: the operating system's URL handler (<c>xdg-open</c> on Linux and the
/// BSDs, <c>open</c> on macOS, started without a shell with the URL as its one argument; on Windows the
/// shell's association for the URL). One that exits with an error within <see cref="FailureWindow"/> failed; one
/// still running then is not waited for.
/// </summary>
internal sealed class SystemBrowser
{
    /// <summary>How long a launcher may take to fail before the page counts as open.</summary>
    public static readonly TimeSpan FailureWindow = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;

    public SystemBrowser(TimeProvider time) => _time = time;

    /// <summary>Whether <paramref name="url"/> may be handed to a launcher: absolute http(s), with nothing a command line could split or quote.</summary>
    public static bool IsOpenable(Uri url) =>
        url.IsAbsoluteUri
        && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && !url.AbsoluteUri.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '`');

    public async ValueTask<bool> OpenAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!IsOpenable(url))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return OpenWithShell(url);
        }

        var start = new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add(url.AbsoluteUri);

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return false;
        }

        if (process is null)
        {
            return false;
        }

        // Launchers chat on their output ("Opening in existing browser session."): drained, never shown.
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync(CancellationToken.None);
        var window = Task.Delay(FailureWindow, _time, cancellationToken);
        var failed = await Task.WhenAny(exited, window).ConfigureAwait(false) == exited && process.ExitCode != 0;

        // Not waited for beyond the window: xdg-open may stay until the browser exits.
        _ = exited.ContinueWith(_ => process.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        cancellationToken.ThrowIfCancellationRequested();
        return !failed;
    }

    /// <summary>
    /// Windows: the shell's association for http(s) URLs opens the default browser. Not
    /// <c>explorer.exe</c> with the URL as an argument: it is reported to exit with 1 even when the page opened,
    /// and reads commas as switches. There is no exit code to read: started is opened.
    /// </summary>
    private static bool OpenWithShell(Uri url)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(url.AbsoluteUri) { UseShellExecute = true });
            return true;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
