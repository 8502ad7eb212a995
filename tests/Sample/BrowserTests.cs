namespace AuthHandler.Tests.Sample;

/// <summary>
/// login opens the verification page on a desktop, through the launcher that AUTHHANDLER_BROWSER
/// names: here a script that records its arguments, so no real browser starts. A test's child
/// process never has a terminal, so the sample's AUTHHANDLER_SAMPLE_ASSUME_TERMINAL seam stands in for one.
/// </summary>
public sealed class BrowserTests
{
    private const string CompleteUrl = "https://id.example.com/device?user_code=" + CliTestHost.UserCode;

    [Fact]
    public async Task Login_Desktop_StartsTheLauncherWithTheCompleteVerificationUrlAsItsOnlyArgument()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = SignInHost();
        var launcher = await RecordingLauncherAsync(host);

        var run = await host.RunAsync("login", Desktop(launcher));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([CompleteUrl], await File.ReadAllLinesAsync(launcher.Log, TestContext.Current.CancellationToken));
        Assert.Equal($"Opened {CompleteUrl} in your browser; check that it shows the same code.", run.Lines[1]);
    }

    [Theory]
    [InlineData("--no-browser")]
    [InlineData("SSH_CONNECTION")]
    [InlineData("SSH_TTY")]
    [InlineData("no terminal")]
    [InlineData("no display")]
    public async Task Login_NotADesktopOrNoBrowserAsked_NeverStartsTheLauncher(string condition)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = SignInHost();
        var launcher = await RecordingLauncherAsync(host);
        var environment = Desktop(launcher);
        switch (condition)
        {
            case "SSH_CONNECTION":
                environment["SSH_CONNECTION"] = "192.0.2.1 50000 192.0.2.2 22";
                break;
            case "SSH_TTY":
                environment["SSH_TTY"] = "/dev/pts/3";
                break;
            case "no terminal":
                environment["AUTHHANDLER_SAMPLE_ASSUME_TERMINAL"] = null;
                break;
            case "no display":
                environment["DISPLAY"] = null;
                break;
        }

        var run = await host.RunAsync("login", condition == "--no-browser" ? ["--no-browser"] : [], environment);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(File.Exists(launcher.Log), "The launcher was started.");
        Assert.DoesNotContain(run.Lines, line => line.StartsWith("Opened ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Login_LauncherFails_WarnsInOneLineAndStillSignsIn()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The failing launcher is a POSIX shell script.");
        await using var host = SignInHost();
        var launcher = await RecordingLauncherAsync(host, exitCode: 3);

        var run = await host.RunAsync("login", Desktop(launcher));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([$"Warning: Could not open a browser: {launcher.Path} exited with code 3. Open the URL above yourself, or pass --no-browser."], run.ErrorLines);
        Assert.NotNull(await host.StoredTokensAsync());
    }

    private static CliTestHost SignInHost()
    {
        var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));
        return host;
    }

    /// <summary>A desktop session on Linux: a display, a terminal, not over SSH, and the recording launcher.</summary>
    private static Dictionary<string, string?> Desktop((string Path, string Log) launcher) => new()
    {
        ["AUTHHANDLER_BROWSER"] = launcher.Path,
        ["AUTHHANDLER_SAMPLE_ASSUME_TERMINAL"] = "1",
        ["DISPLAY"] = ":0",
        ["WAYLAND_DISPLAY"] = null,
        ["SSH_CONNECTION"] = null,
        ["SSH_TTY"] = null,
    };

    /// <summary>A script in the host's store directory (deleted with it) that writes each argument to a line of its log.</summary>
    private static async Task<(string Path, string Log)> RecordingLauncherAsync(CliTestHost host, int exitCode = 0)
    {
        Directory.CreateDirectory(host.Store);
        var path = Path.Combine(host.Store, "browser.sh");
        var log = path + ".log";
        await File.WriteAllTextAsync(path, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\nexit {exitCode}\n", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return (path, log);
    }
}
