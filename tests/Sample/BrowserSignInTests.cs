using System.Net;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// The browser sign-in (authorization code with PKCE on a loopback redirect): login against a
/// WireMock server that advertises it, and demo --browser against the embedded server's code flow.
/// The test plays the browser (<see cref="TestBrowser"/>) from the authorization URL the sample
/// prints; the launcher (AUTHHANDLER_BROWSER) is a script that only records its arguments.
/// </summary>
public sealed class BrowserSignInTests : IDisposable
{
    private const string Code = "ac-1-" + SampleProcess.SecretMarker;
    private const string DeclinedLine = "The sign-in was declined in the browser; no tokens were stored.";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-sample-browser-" + Guid.NewGuid().ToString("N"));
    private readonly TestBrowser _browser = new();

    public void Dispose()
    {
        _browser.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task LoginBrowser_RedirectWithCode_RedeemsItWithTheVerifierAndRedirectUriAndExitsZero()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = BrowserHost();
        var launcher = await RecordingLauncherAsync();
        Uri? url = null;

        var run = await host.RunAsync("login", ["--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is { } found)
            {
                url = found;
                using var landing = await _browser.RedirectBackAsync(found, ("code", Code), ("iss", host.Authority));
            }
        });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotNull(url);
        Assert.StartsWith(host.Authority + "/authorize?", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal([url.AbsoluteUri], await File.ReadAllLinesAsync(launcher.Log, TestContext.Current.CancellationToken));
        Assert.Equal("Opened the sign-in page in your browser; approve the request there.", run.Lines[1]);
        Assert.StartsWith($"Signed in to {host.Authority} as client cli", run.Lines[2], StringComparison.Ordinal);
        var redemption = host.Bodies("/token").Single();
        Assert.Contains("grant_type=authorization_code", redemption, StringComparison.Ordinal);
        Assert.Contains("code=" + Code, redemption, StringComparison.Ordinal);
        Assert.Contains("redirect_uri=" + Uri.EscapeDataString(TestBrowser.Parameter(url, "redirect_uri")), redemption, StringComparison.Ordinal);
        Assert.Contains("code_verifier=", redemption, StringComparison.Ordinal);
        Assert.Equal(0, host.Calls("/device"));
        Assert.Equal(CliTestHost.Refresh1, (await host.StoredTokensAsync())?.RefreshToken);
    }

    [Fact]
    public async Task LoginBrowser_UserDenies_Exits3WithOneLineAndRedeemsNothing()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = BrowserHost();
        var launcher = await RecordingLauncherAsync();

        var run = await host.RunAsync("login", ["--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is { } url)
            {
                using var landing = await _browser.RedirectBackAsync(url, ("error", "access_denied"), ("iss", host.Authority));
            }
        });

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal([DeclinedLine], run.ErrorLines);
        Assert.Equal(0, host.Calls("/token"));
        Assert.Null(await host.StoredTokensAsync());
    }

    [Fact]
    public async Task LoginBrowser_Json_DeniedIsAnAccessDeniedErrorEventWithExitCode3()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = BrowserHost();
        var launcher = await RecordingLauncherAsync();

        var run = await host.RunAsync("login", ["--browser", "--json"], Launcher(launcher), async line =>
        {
            if (line.Contains("\"authorization_url\"", StringComparison.Ordinal))
            {
                using var document = System.Text.Json.JsonDocument.Parse(line);
                var url = new Uri(document.RootElement.GetProperty("url").GetString()!);
                using var landing = await _browser.RedirectBackAsync(url, ("error", "access_denied"), ("iss", host.Authority));
            }
        });

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(["authorization_url", "sign_in_page_opened", "error"], run.EventNames());
        Assert.Equal("access_denied", run.Event("error").GetProperty("code").GetString());
        Assert.Equal(3, run.Event("error").GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Login_DesktopAndServerSupportsBrowser_SignsInWithTheBrowserByDefault()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = BrowserHost();
        var launcher = await RecordingLauncherAsync();

        var run = await host.RunAsync("login", [], Desktop(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is { } url)
            {
                using var landing = await _browser.RedirectBackAsync(url, ("code", Code), ("iss", host.Authority));
            }
        });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("grant_type=authorization_code", host.Bodies("/token").Single(), StringComparison.Ordinal);
        Assert.Equal(0, host.Calls("/device"));
    }

    [Theory]
    [InlineData("--no-browser")]
    [InlineData("--device-code")]
    public async Task Login_DeviceCodeAsked_UsesTheDeviceFlowEvenOnADesktopWhoseServerSupportsTheBrowser(string option)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        await using var host = BrowserHost();
        host.DeviceEndpointAnswers();
        var launcher = await RecordingLauncherAsync();

        var run = await host.RunAsync("login", [option], Desktop(launcher));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1, host.Calls("/device"));
        Assert.Contains("device_code", host.Bodies("/token").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain(run.Lines, line => line.Contains("/authorize", StringComparison.Ordinal));
        if (option == "--no-browser")
        {
            Assert.False(File.Exists(launcher.Log), "The launcher was started.");
        }
        else
        {
            // The device flow still opens its verification page on a desktop.
            Assert.Equal(["https://id.example.com/device?user_code=" + CliTestHost.UserCode], await File.ReadAllLinesAsync(launcher.Log, TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task LoginBrowserWithNoBrowser_IsAUsageErrorThatContactsNoServer()
    {
        await using var host = BrowserHost();

        var run = await host.RunAsync("login", "--browser", "--no-browser");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["--browser cannot be combined with --no-browser: pass one sign-in method."], run.ErrorLines);
        Assert.Empty(host.Server.LogEntries);
    }

    [Fact]
    public async Task DemoBrowser_AutoApprove_SignsInWithTheBrowserAndTellsEveryStep()
    {
        var run = await SampleProcess.RunAsync(["demo", "--browser"], new Dictionary<string, string?> { ["AUTHHANDLER_DEMO_AUTO_APPROVE"] = "1" }, TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Stderr);
        Assert.DoesNotContain(run.Lines, line => line.Contains("demo-secret-", StringComparison.Ordinal));
        Assert.NotNull(TestBrowser.AuthorizationUrlIn(run.Lines[1]));
        Assert.Matches(@"^1\. Signed in with the browser \(authorization code with PKCE; approved by the demo server at once, AUTHHANDLER_DEMO_AUTO_APPROVE\) after \d+\.\d s", run.Lines[2]);
        Assert.StartsWith("5. ", run.Lines[6], StringComparison.Ordinal);
        Assert.StartsWith("The tokens were DPoP-bound (key jkt=", run.Lines[7], StringComparison.Ordinal);
        Assert.StartsWith("Demo complete in ", run.Lines[8], StringComparison.Ordinal);
        Assert.Equal(9, run.Lines.Length);
    }

    [Fact]
    public async Task DemoBrowser_ApproveOnThePage_RedirectsWithCodeStateAndIssOnceAndTheDemoCompletes()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        var launcher = await RecordingLauncherAsync();
        var checks = new List<string>();

        var run = await SampleProcess.RunAsync(["demo", "--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is not { } url)
            {
                return;
            }

            var authority = url.GetLeftPart(UriPartial.Authority);
            using var page = await _browser.GetAsync(url);
            var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("value=\"approve\"", html, StringComparison.Ordinal);
            Assert.Contains("value=\"deny\"", html, StringComparison.Ordinal);
            var csrf = TestBrowser.Csrf(html);

            // A form post without the page's value is no decision.
            using (var forged = await _browser.PostFormAsync(new Uri(authority + "/authorize"), ("csrf", "forged"), ("decision", "approve")))
            {
                Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
                Assert.Null(forged.Headers.Location);
                checks.Add("forged");
            }

            using var approved = await _browser.PostFormAsync(new Uri(authority + "/authorize"), ("csrf", csrf), ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
            var location = new Uri(approved.Headers.Location!.OriginalString);
            Assert.StartsWith(TestBrowser.Parameter(url, "redirect_uri") + "?", location.AbsoluteUri, StringComparison.Ordinal);
            Assert.Equal(TestBrowser.Parameter(url, "state"), TestBrowser.Parameter(location, "state"));
            Assert.Equal(authority, TestBrowser.Parameter(location, "iss"));
            Assert.StartsWith("demo-secret-ac-", TestBrowser.Parameter(location, "code"), StringComparison.Ordinal);

            // The page answers once.
            using (var again = await _browser.PostFormAsync(new Uri(authority + "/authorize"), ("csrf", csrf), ("decision", "approve")))
            {
                Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
                checks.Add("again");
            }

            using var landing = await _browser.GetAsync(location);
            checks.Add("redirected");
        });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["forged", "again", "redirected"], checks);
        Assert.DoesNotContain("demo-secret-", run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.Contains(run.Lines, line => line.StartsWith("1. Signed in with the browser (authorization code with PKCE) after ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DemoBrowser_DenyOnThePage_Exits3WithOneLine()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        var launcher = await RecordingLauncherAsync();

        var run = await SampleProcess.RunAsync(["demo", "--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is { } url)
            {
                var authority = url.GetLeftPart(UriPartial.Authority);
                using var page = await _browser.GetAsync(url);
                var csrf = TestBrowser.Csrf(await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                using var denied = await _browser.PostFormAsync(new Uri(authority + "/authorize"), ("csrf", csrf), ("decision", "deny"));
                var location = new Uri(denied.Headers.Location!.OriginalString);
                Assert.Equal("access_denied", TestBrowser.Parameter(location, "error"));
                using var landing = await _browser.GetAsync(location);
            }
        });

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal([DeclinedLine], run.ErrorLines);
    }

    [Fact]
    public async Task DemoBrowser_NonLoopbackRedirectUri_IsRefusedWithAPageNotARedirect()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        var launcher = await RecordingLauncherAsync();
        HttpStatusCode? status = null;
        Uri? location = null;

        var run = await SampleProcess.RunAsync(["demo", "--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is { } url)
            {
                var redirect = TestBrowser.Parameter(url, "redirect_uri");
                var elsewhere = new Uri(url.AbsoluteUri.Replace(Uri.EscapeDataString(redirect), Uri.EscapeDataString("https://app.example.com/callback"), StringComparison.Ordinal));
                using (var refused = await _browser.GetAsync(elsewhere))
                {
                    status = refused.StatusCode;
                    location = refused.Headers.Location;
                }

                // Then decline, so the demo ends.
                using var landing = await _browser.RedirectBackAsync(url, ("error", "access_denied"), ("iss", url.GetLeftPart(UriPartial.Authority)));
            }
        });

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Null(location);
    }

    [Fact]
    public async Task DemoBrowser_CodeRedeemedWithAWrongVerifier_IsRejectedAndThenUsedUp()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "The recording launcher is a POSIX shell script.");
        var launcher = await RecordingLauncherAsync();
        HttpStatusCode? wrongVerifier = null;
        string? answer = null;

        var run = await SampleProcess.RunAsync(["demo", "--browser"], Launcher(launcher), async line =>
        {
            if (TestBrowser.AuthorizationUrlIn(line) is not { } url)
            {
                return;
            }

            var authority = url.GetLeftPart(UriPartial.Authority);
            using var page = await _browser.GetAsync(url);
            var csrf = TestBrowser.Csrf(await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            using var approved = await _browser.PostFormAsync(new Uri(authority + "/authorize"), ("csrf", csrf), ("decision", "approve"));
            var location = new Uri(approved.Headers.Location!.OriginalString);

            // An attacker who saw the code but not the verifier.
            using (var stolen = await _browser.PostFormAsync(
                new Uri(authority + "/token"),
                ("grant_type", "authorization_code"),
                ("client_id", "demo-cli"),
                ("code", TestBrowser.Parameter(location, "code")),
                ("redirect_uri", TestBrowser.Parameter(url, "redirect_uri")),
                ("code_verifier", new string('a', 43))))
            {
                wrongVerifier = stolen.StatusCode;
                answer = await stolen.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            }

            using var landing = await _browser.GetAsync(location);
        });

        Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier);
        Assert.Contains("\"invalid_grant\"", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", answer, StringComparison.Ordinal);

        // Single use: the app's own redemption, with the right verifier, comes too late.
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("The browser sign-in failed: The token endpoint refused the authorization code: invalid_grant", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    private static CliTestHost BrowserHost()
    {
        var host = CliTestHost.Start(browser: true);
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));
        return host;
    }

    /// <summary>Only the recording launcher: output redirected, so not a desktop for the automatic choice.</summary>
    private static Dictionary<string, string?> Launcher((string Path, string Log) launcher) => new()
    {
        ["AUTHHANDLER_BROWSER"] = launcher.Path,
    };

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

    /// <summary>A script in this test's directory (deleted with it) that writes each argument to a line of its log.</summary>
    private async Task<(string Path, string Log)> RecordingLauncherAsync()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "browser.sh");
        var log = path + ".log";
        await File.WriteAllTextAsync(path, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\n", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return (path, log);
    }
}
