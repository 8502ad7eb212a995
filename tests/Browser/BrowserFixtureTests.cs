using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// The real-browser fixture proven without the library's browser sign-in: the test is the client
/// (its own <see cref="RedirectListener"/>, PKCE S256, state, nonce), chromium is the user, and
/// <see cref="LoopbackAuthorizationServer"/> the server. One class, so one chromium at a time.
/// </summary>
public sealed class BrowserFixtureTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Approve_ListenerReceivesACodeWithTheSentStateAndTheServersIss_AndTheServerRedeemsItOnlyWithTheMatchingVerifier()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        await using var listener = new RedirectListener();
        await using var chromium = await Chromium.LaunchAsync();
        var verifier = LoopbackAuthorizationServer.NewCodeVerifier();
        var state = "state-" + Guid.NewGuid().ToString("N");
        var nonce = "nonce-" + Guid.NewGuid().ToString("N");

        await chromium.OpenAsync(server.AuthorizationUrl(listener.RedirectUri, state, LoopbackAuthorizationServer.CodeChallengeS256(verifier), nonce: nonce));
        await chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, LoopbackAuthorizationServer.Password);
        await chromium.ApproveAsync();
        var callback = QueryHelpers.ParseQuery((await listener.FirstCallback.WaitAsync(Bound, TestContext.Current.CancellationToken)).Query);

        Assert.Equal(RedirectListener.CallbackPath, listener.Received[0].AbsolutePath);
        Assert.Equal(state, callback["state"]);
        Assert.Equal(server.Issuer, callback["iss"]);
        Assert.False(callback.ContainsKey("error"));
        Assert.Contains(RedirectListener.LandingPageText, await chromium.PageTextAsync(), StringComparison.Ordinal);
        var authorize = server.Requests.Single(request => request.Path == LoopbackAuthorizationServer.AuthorizePath);
        Assert.Equal(LoopbackAuthorizationServer.CodeChallengeS256(verifier), authorize.Query["code_challenge"]);

        using var http = NoRedirectClient();
        using var response = await RedeemAsync(http, server, callback["code"].ToString(), listener.RedirectUri, verifier);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var tokens = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var issued = Assert.Single(server.IssuedTokens);
        Assert.Equal(issued.AccessToken, tokens.RootElement.GetProperty("access_token").GetString());
        Assert.Equal(issued.RefreshToken, tokens.RootElement.GetProperty("refresh_token").GetString());
        Assert.Equal("Bearer", tokens.RootElement.GetProperty("token_type").GetString());
        var idToken = IdTokenClaims(tokens.RootElement.GetProperty("id_token").GetString()!);
        Assert.Equal(nonce, idToken.GetProperty("nonce").GetString());
        Assert.Equal(server.Issuer, idToken.GetProperty("iss").GetString());
        Assert.Equal(LoopbackAuthorizationServer.ClientId, idToken.GetProperty("aud").GetString());
        Assert.Equal(new TokenRequestRecord("authorization_code", LoopbackAuthorizationServer.ClientId, true, true, null), Assert.Single(server.TokenRequests));
        Assert.Equal(verifier, server.Requests.Single(request => request.Path == LoopbackAuthorizationServer.TokenPath).Form["code_verifier"]);
    }

    [Fact]
    public async Task Deny_ListenerReceivesAccessDeniedWithTheSentStateAndNoCode()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        await using var listener = new RedirectListener();
        await using var chromium = await Chromium.LaunchAsync();
        var state = "state-" + Guid.NewGuid().ToString("N");

        await chromium.OpenAsync(server.AuthorizationUrl(listener.RedirectUri, state, LoopbackAuthorizationServer.CodeChallengeS256(LoopbackAuthorizationServer.NewCodeVerifier())));
        await chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, LoopbackAuthorizationServer.Password);
        await chromium.DenyAsync();
        var callback = QueryHelpers.ParseQuery((await listener.FirstCallback.WaitAsync(Bound, TestContext.Current.CancellationToken)).Query);

        Assert.Equal("access_denied", callback["error"]);
        Assert.Equal(state, callback["state"]);
        Assert.Equal(server.Issuer, callback["iss"]);
        Assert.False(callback.ContainsKey("code"));
        Assert.Empty(server.IssuedTokens);
    }

    [Fact]
    public async Task TamperState_ListenerReceivesAStateOtherThanTheOneSent()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        server.TamperState = true;
        await using var listener = new RedirectListener();
        await using var chromium = await Chromium.LaunchAsync();
        var state = "state-" + Guid.NewGuid().ToString("N");

        await chromium.OpenAsync(server.AuthorizationUrl(listener.RedirectUri, state, LoopbackAuthorizationServer.CodeChallengeS256(LoopbackAuthorizationServer.NewCodeVerifier())));
        await chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, LoopbackAuthorizationServer.Password);
        await chromium.ApproveAsync();
        var callback = QueryHelpers.ParseQuery((await listener.FirstCallback.WaitAsync(Bound, TestContext.Current.CancellationToken)).Query);

        Assert.True(callback.ContainsKey("code"));
        Assert.NotEqual(state, callback["state"].ToString());
    }

    [Fact]
    public async Task NeverRedirect_AfterAllowTheBrowserStaysOnTheServersPageAndTheListenerReceivesNothing()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        server.NeverRedirect = true;
        await using var listener = new RedirectListener();
        await using var chromium = await Chromium.LaunchAsync();

        await chromium.OpenAsync(server.AuthorizationUrl(listener.RedirectUri, "state", LoopbackAuthorizationServer.CodeChallengeS256(LoopbackAuthorizationServer.NewCodeVerifier())));
        await chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, LoopbackAuthorizationServer.Password);
        await chromium.ApproveAsync();

        // ApproveAsync returned once the page after the consent POST had loaded: had the server
        // redirected, that page would be the listener's.
        Assert.Equal(server.Issuer, chromium.PageUrl.GetLeftPart(UriPartial.Authority));
        Assert.Contains(LoopbackAuthorizationServer.HeldPageText, await chromium.PageTextAsync(), StringComparison.Ordinal);
        Assert.Empty(listener.Received);
        Assert.False(listener.FirstCallback.IsCompleted);
    }

    [Fact]
    public async Task WrongPassword_LoginPageShowsTheErrorAndAsksForNoConsent()
    {
        await using var server = await LoopbackAuthorizationServer.StartAsync();
        await using var listener = new RedirectListener();
        await using var chromium = await Chromium.LaunchAsync();

        await chromium.OpenAsync(server.AuthorizationUrl(listener.RedirectUri, "state", LoopbackAuthorizationServer.CodeChallengeS256(LoopbackAuthorizationServer.NewCodeVerifier())));
        await chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, "wrong");

        var text = await chromium.PageTextAsync();
        Assert.Contains("Wrong username or password.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Allow", text, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Requests, request => request.Path == LoopbackAuthorizationServer.ConsentPath);
        Assert.Empty(listener.Received);
    }

    [Fact]
    public async Task Dispose_EndsEveryChromiumProcessAndDeletesTheProfile_AndNoBrowserBuildWasDownloaded()
    {
        var chromium = await Chromium.LaunchAsync();
        var pid = chromium.ProcessId;
        var profile = chromium.ProfileDirectory;
        Assert.True(chromium.IsRunning);
        Assert.True(Directory.Exists(profile));
        Assert.Equal(ChromiumDiscovery.Require(), chromium.ExecutablePath);
        if (OperatingSystem.IsLinux())
        {
            // The browser that runs is the system one, with the temporary profile, headless, unsandboxed.
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            Assert.Contains("--user-data-dir=" + profile, commandLine);
            Assert.Contains(commandLine, argument => argument.StartsWith("--headless", StringComparison.Ordinal));
            Assert.Contains("--no-sandbox", commandLine);
            Assert.Contains(pid, ProcessesUsing(profile));
        }

        await chromium.DisposeAsync();

        Assert.False(Directory.Exists(profile), "The profile directory is left behind.");
        Assert.False(IsAlive(pid), "The browser process still runs.");
        if (OperatingSystem.IsLinux())
        {
            Assert.Empty(ProcessesUsing(profile));
        }

        foreach (var root in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            foreach (var folder in new[] { ".local-chromium", "Chrome", "Chromium", "chrome-headless-shell" })
            {
                Assert.False(Directory.Exists(Path.Combine(root, folder)), $"A browser was downloaded into {Path.Combine(root, folder)}.");
            }
        }
    }

    private static HttpClient NoRedirectClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Bound };

    private static Task<HttpResponseMessage> RedeemAsync(HttpClient http, LoopbackAuthorizationServer server, string code, Uri redirectUri, string verifier) =>
        http.PostAsync(server.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = LoopbackAuthorizationServer.ClientId,
            ["code"] = code,
            ["redirect_uri"] = redirectUri.AbsoluteUri,
            ["code_verifier"] = verifier,
        }), TestContext.Current.CancellationToken);

    private static JsonElement IdTokenClaims(string idToken) =>
        JsonDocument.Parse(Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(idToken.Split('.')[1]))).RootElement;

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The ids of the processes whose command line names <paramref name="profile"/> (chromium and its helpers).</summary>
    private static List<int> ProcessesUsing(string profile)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(profile, StringComparison.Ordinal))
                {
                    found.Add(id);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }
}
