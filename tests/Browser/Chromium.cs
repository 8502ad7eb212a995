using System.Collections.Concurrent;
using System.Diagnostics;
using PuppeteerSharp;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// The system chromium (<see cref="ChromiumDiscovery"/>), headless, in a fresh temporary profile,
/// driven over the DevTools protocol by PuppeteerSharp with one page. PuppeteerSharp is only given
/// <see cref="LaunchOptions.ExecutablePath"/>; nothing here fetches a browser build.
/// <see cref="DisposeAsync"/> ends the browser process (killed if it does not close) and deletes the profile.
/// The form selectors are those of <see cref="LoopbackAuthorizationServer"/>'s pages.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    /// <summary>Bounds every launch, navigation and click, generous for two shared cores.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Browsers not yet disposed, killed when the test process exits so none outlives it.</summary>
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly IBrowser _browser;
    private readonly IPage _page;
    private readonly Process _process;

    private Chromium(string executablePath, string profileDirectory, IBrowser browser, IPage page)
    {
        ExecutablePath = executablePath;
        ProfileDirectory = profileDirectory;
        _browser = browser;
        _page = page;
        _process = browser.Process ?? throw new InvalidOperationException("PuppeteerSharp did not start the browser process.");
        ProcessId = _process.Id;
        Running[ProcessId] = _process;
    }

    static Chromium() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    };

    public string ExecutablePath { get; }

    /// <summary>The temporary user-data-dir; gone after <see cref="DisposeAsync"/>.</summary>
    public string ProfileDirectory { get; }

    public int ProcessId { get; }

    /// <summary>The address of the page the browser shows now.</summary>
    public Uri PageUrl => new(_page.Url);

    /// <summary>Starts chromium, or ends the test: skipped locally, failed under CI=true, when there is none.</summary>
    public static async Task<Chromium> LaunchAsync()
    {
        var executable = ChromiumDiscovery.Require();
        var profile = Path.Combine(Path.GetTempPath(), "authhandler-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        IBrowser? browser = null;
        try
        {
            browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = executable,
                Browser = SupportedBrowser.Chromium,
                Headless = true,
                UserDataDir = profile,
                Timeout = (int)Bound.TotalMilliseconds,
                // Root in a container has no user namespace sandbox; the pages are our own loopback server's.
                Args = ["--headless", "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            var pages = await browser.PagesAsync();
            var page = pages.Length > 0 ? pages[0] : await browser.NewPageAsync();
            page.DefaultTimeout = (int)Bound.TotalMilliseconds;
            page.DefaultNavigationTimeout = (int)Bound.TotalMilliseconds;
            return new Chromium(executable, profile, browser, page);
        }
        catch
        {
            if (browser is not null)
            {
                await CloseAsync(browser);
            }

            DeleteProfile(profile);
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/> and waits for the page to load: what a launcher does with the
    /// authorization URL (usable as the session's launcher, e.g. <c>url =&gt; chromium.OpenAsync(url)</c>).
    /// </summary>
    public async Task OpenAsync(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        await _page.GoToAsync(url.AbsoluteUri, WaitUntilNavigation.Load);
    }

    /// <summary>Types into the login form's username and password fields and submits it; waits for the next page.</summary>
    public async Task FillLoginAsync(string username, string password)
    {
        await _page.WaitForSelectorAsync("#" + LoopbackAuthorizationServer.UsernameField);
        await _page.TypeAsync("#" + LoopbackAuthorizationServer.UsernameField, username);
        await _page.TypeAsync("#" + LoopbackAuthorizationServer.PasswordField, password);
        await ClickAndWaitAsync("#" + LoopbackAuthorizationServer.SignInButton);
    }

    /// <summary>Clicks Allow on the consent page; waits for the page the redirect leads to (the redirect target's).</summary>
    public Task ApproveAsync() => ClickAndWaitAsync("#" + LoopbackAuthorizationServer.AllowButton);

    /// <summary>Clicks Deny on the consent page; waits for the page the redirect leads to.</summary>
    public Task DenyAsync() => ClickAndWaitAsync("#" + LoopbackAuthorizationServer.DenyButton);

    /// <summary>The visible text of the page shown now.</summary>
    public Task<string> PageTextAsync() => _page.EvaluateExpressionAsync<string>("document.body ? document.body.innerText : ''");

    /// <summary>True while the browser process runs.</summary>
    public bool IsRunning
    {
        get
        {
            _process.Refresh();
            return !_process.HasExited;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync(_browser);
        Running.TryRemove(ProcessId, out _);
        DeleteProfile(ProfileDirectory);
    }

    private async Task ClickAndWaitAsync(string selector)
    {
        var navigation = _page.WaitForNavigationAsync(new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load] });
        try
        {
            await _page.ClickAsync(selector);
            await navigation;
        }
        catch (NavigationException)
        {
            // The target went away (e.g. a redirect listener that already closed): chromium shows its
            // error page, which is what the user would see. Callers assert on the page or the server.
        }
    }

    private static async Task CloseAsync(IBrowser browser)
    {
        var process = browser.Process;
        try
        {
            await browser.CloseAsync().WaitAsync(Bound);
        }
        catch (Exception exception) when (exception is TimeoutException or PuppeteerException or IOException or ObjectDisposedException)
        {
            // Killed below.
        }

        if (process is not null)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync().WaitAsync(Bound);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        await browser.DisposeAsync();
    }

    private static void DeleteProfile(string profile)
    {
        // Chromium's helpers may still be writing as the main process exits: retry a few times.
        for (var attempt = 0; Directory.Exists(profile); attempt++)
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
            }
            catch (UnauthorizedAccessException) when (attempt < 5)
            {
            }
        }
    }
}
