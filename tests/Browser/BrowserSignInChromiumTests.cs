using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// The library's browser sign-in end to end: the session's <see cref="BrowserSignInOptions.LaunchBrowser"/>
/// hands the authorization URL to a real chromium, chromium signs in and approves or denies on
/// <see cref="LoopbackAuthorizationServer"/>'s HTML forms, and the library's own loopback listener
/// catches the redirect. Assertions are on what the server recorded and issued, what the store
/// holds, and the page chromium shows at the end. One class, so one chromium at a time.
/// </summary>
public sealed class BrowserSignInChromiumTests
{
    /// <summary>The words of the library's landing pages (src/AuthHandler/Browser/Internal/LandingPage.cs, BrowserFlow.PageMessage).</summary>
    private const string SucceededText = "Sign-in finished. You can close this tab and return to the application.";
    private const string FailedTitle = "Sign-in failed";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Approve_SignsInWithExactlyTheServersIssuedTokens_StoresThem_TheServerVerifiedPkceAndRedirectUri_ChromiumShowsTheLandingPage_AndTheApiReceivesTheAccessToken()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync(), scope: "profile");

        await world.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await world.ChromiumDoneAsync();

        var issued = Assert.Single(world.Server.IssuedTokens);
        Assert.Equal(SessionState.SignedIn, world.Session.State);
        Assert.Equal(issued.AccessToken, (await world.Session.GetAccessTokenAsync(Cancel)).Value);
        var stored = Assert.Single(world.Store.Entries);
        Assert.Equal(issued.AccessToken, stored.AccessToken);
        Assert.Equal(issued.RefreshToken, stored.RefreshToken);
        Assert.Equal(new TokenRequestRecord("authorization_code", LoopbackAuthorizationServer.ClientId, RedirectUriMatched: true, PkceVerified: true, Error: null), Assert.Single(world.Server.TokenRequests));
        var authorize = world.Server.Requests.Single(r => r.Path == LoopbackAuthorizationServer.AuthorizePath);
        Assert.Equal("S256", authorize.Query["code_challenge_method"]);
        Assert.Equal(world.RedirectUri.AbsoluteUri, world.Server.Requests.Single(r => r.Path == LoopbackAuthorizationServer.TokenPath).Form["redirect_uri"]);
        Assert.Contains(SucceededText, await world.Chromium.PageTextAsync(), StringComparison.Ordinal);
        Assert.Equal(world.RedirectUri.GetLeftPart(UriPartial.Path), world.Chromium.PageUrl.GetLeftPart(UriPartial.Path));

        using (var response = await world.Client.GetAsync(LoopbackAuthorizationServer.ApiPath, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var api = Assert.Single(world.Server.Requests, r => r.Path == LoopbackAuthorizationServer.ApiPath);
        Assert.Equal("Bearer " + issued.AccessToken, api.Headers["Authorization"]);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task OpenIdApproved_TheAuthorizeRequestCarriesANonceTheIdTokenEchoes_AndTheIdTokenIsStored()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync(), scope: "openid profile");

        await world.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await world.ChromiumDoneAsync();

        var nonce = world.Server.Requests.Single(r => r.Path == LoopbackAuthorizationServer.AuthorizePath).Query["nonce"];
        Assert.Equal(43, nonce.Length);
        var issued = Assert.Single(world.Server.IssuedTokens);
        Assert.NotNull(issued.IdToken);
        var stored = Assert.Single(world.Store.Entries);
        Assert.Equal(issued.IdToken, stored.IdToken);
        Assert.Equal(issued.RefreshToken, stored.RefreshToken);
        Assert.Contains(SucceededText, await world.Chromium.PageTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenIdWithTamperedNonce_NonceMismatch_NothingStored_AndChromiumShowsTheFailure()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync(), scope: "openid");
        world.Server.TamperNonce = true;

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => world.Session.SignInAsync(SignInMethod.Browser, Cancel));
        await world.ChromiumDoneAsync();

        Assert.Equal(BrowserSignInFailure.NonceMismatch, ex.Failure);
        Assert.Equal(new TokenRequestRecord("authorization_code", LoopbackAuthorizationServer.ClientId, true, true, null), Assert.Single(world.Server.TokenRequests));
        Assert.Empty(world.Store.Entries);
        Assert.Equal(0, world.Store.Writes);
        Assert.NotEqual(SessionState.SignedIn, world.Session.State);
        var page = await world.Chromium.PageTextAsync();
        Assert.Contains(FailedTitle, page, StringComparison.Ordinal);
        Assert.Contains("the ID token does not belong to this sign-in", page, StringComparison.Ordinal);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task Deny_AccessDenied_NothingIssuedOrStored_AndChromiumShowsThatSignInFailed()
    {
        await using var world = await World.StartAsync(c => c.DenyAsync());

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => world.Session.SignInAsync(SignInMethod.Browser, Cancel));
        await world.ChromiumDoneAsync();

        Assert.Equal(BrowserSignInFailure.AccessDenied, ex.Failure);
        Assert.Equal("access_denied", ex.Error);
        Assert.Empty(world.Server.TokenRequests);
        Assert.Empty(world.Server.IssuedTokens);
        Assert.Empty(world.Store.Entries);
        Assert.Equal(0, world.Store.Writes);
        var page = await world.Chromium.PageTextAsync();
        Assert.Contains(FailedTitle, page, StringComparison.Ordinal);
        Assert.Contains("the request was declined", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Sign-in finished", page, StringComparison.Ordinal);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task TamperedState_StateMismatch_TheCodeIsNeverRedeemed_NothingStored()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync());
        world.Server.TamperState = true;

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => world.Session.SignInAsync(SignInMethod.Browser, Cancel));
        await world.ChromiumDoneAsync();

        Assert.Equal(BrowserSignInFailure.StateMismatch, ex.Failure);
        Assert.Empty(world.Server.TokenRequests);
        Assert.Empty(world.Server.IssuedTokens);
        Assert.Empty(world.Store.Entries);
        Assert.Equal(0, world.Store.Writes);
        var page = await world.Chromium.PageTextAsync();
        Assert.Contains("does not belong to the sign-in the application started", page, StringComparison.Ordinal);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task TamperedIss_IssuerMismatch_TheCodeIsNeverRedeemed_NothingStored()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync());
        world.Server.TamperIss = true;

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => world.Session.SignInAsync(SignInMethod.Browser, Cancel));
        await world.ChromiumDoneAsync();

        Assert.Equal(BrowserSignInFailure.IssuerMismatch, ex.Failure);
        Assert.Empty(world.Server.TokenRequests);
        Assert.Empty(world.Store.Entries);
        Assert.Equal(0, world.Store.Writes);
        Assert.Contains("the answer came from another authorization server", await world.Chromium.PageTextAsync(), StringComparison.Ordinal);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task ApprovedButNeverRedirected_TimedOutAfterExactlyTheBrowserTimeout_NothingStored_AndTheListenerPortRefusesConnections()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync());
        world.Server.NeverRedirect = true;

        var signIn = world.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await world.ChromiumDoneAsync();
        Assert.Contains(LoopbackAuthorizationServer.HeldPageText, await world.Chromium.PageTextAsync(), StringComparison.Ordinal);
        await world.Time.WaitForTimerAsync(world.Timeout);
        Assert.False(signIn.IsCompleted);
        world.Time.Advance(world.Timeout - TimeSpan.FromTicks(1));
        Assert.False(signIn.IsCompleted);
        world.Time.Advance(TimeSpan.FromTicks(1));
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn.WaitAsync(Bound, Cancel));

        Assert.Equal(BrowserSignInFailure.TimedOut, ex.Failure);
        Assert.Empty(world.Server.TokenRequests);
        Assert.Empty(world.Store.Entries);
        Assert.Equal(0, world.Store.Writes);
        await AssertRefusedAsync(world.RedirectUri);
    }

    [Fact]
    public async Task DPoPEnabled_TheCodeIsBoundToTheSignInKeyAndRedeemedWithAVerifiedProofOfIt_AndTheApiReceivesTheDPoPTokenWithAProofOfThatKey()
    {
        await using var world = await World.StartAsync(c => c.ApproveAsync(), configure: o => o.DPoP.Enabled = true);

        await world.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await world.ChromiumDoneAsync();

        var jkt = world.Server.Requests.Single(r => r.Path == LoopbackAuthorizationServer.AuthorizePath).Query["dpop_jkt"];
        Assert.Equal(jkt, Assert.Single(world.Server.ProofThumbprints));
        Assert.Equal(new TokenRequestRecord("authorization_code", LoopbackAuthorizationServer.ClientId, true, true, null), Assert.Single(world.Server.TokenRequests));
        var issued = Assert.Single(world.Server.IssuedTokens);
        var stored = Assert.Single(world.Store.Entries);
        Assert.Equal("DPoP", stored.TokenType);
        Assert.Equal(issued.AccessToken, stored.AccessToken);
        Assert.Equal(issued.RefreshToken, stored.RefreshToken);
        Assert.Contains(SucceededText, await world.Chromium.PageTextAsync(), StringComparison.Ordinal);

        using (var response = await world.Client.GetAsync(LoopbackAuthorizationServer.ApiPath, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var api = Assert.Single(world.Server.Requests, r => r.Path == LoopbackAuthorizationServer.ApiPath);
        Assert.Equal("DPoP " + issued.AccessToken, api.Headers["Authorization"]);
        Assert.True(LoopbackAuthorizationServer.TryVerifyProof(api.Headers["DPoP"], "GET", new Uri(world.Server.BaseAddress, LoopbackAuthorizationServer.ApiPath), out var apiKey, out var claims));
        Assert.Equal(jkt, apiKey);
        Assert.Equal(WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(issued.AccessToken))), claims["ath"]);
    }

    /// <summary>Nothing listens on the redirect URI's port any more: a TCP connection is refused.</summary>
    private static async Task AssertRefusedAsync(Uri redirectUri)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        var ex = await Assert.ThrowsAsync<SocketException>(async () => await client.ConnectAsync(IPAddress.Loopback, redirectUri.Port, Cancel));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    /// <summary>
    /// One test's world: chromium, the authorization server, and a service provider with the
    /// session (fake clock, <see cref="RecordingTokenStore"/>, fake logging) whose launcher starts
    /// chromium's steps without awaiting them: the library awaits the launcher before it waits for
    /// the redirect, and chromium's last click only returns once the landing page is answered.
    /// </summary>
    private sealed class World : IAsyncDisposable
    {
        private const string ClientName = "api";

        private readonly TaskCompletionSource<Task> _steps = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<Chromium, Task> _decision;
        private readonly string _directory;
        private ServiceProvider? _provider;

        private World(Chromium chromium, LoopbackAuthorizationServer server, string directory, Func<Chromium, Task> decision)
        {
            _decision = decision;
            Chromium = chromium;
            Server = server;
            _directory = directory;
        }

        public Chromium Chromium { get; }

        public LoopbackAuthorizationServer Server { get; }

        public ObservableTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

        public RecordingTokenStore Store { get; } = new();

        public DeviceAuthSession Session { get; private set; } = null!;

        public HttpClient Client => _provider!.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        public TimeSpan Timeout { get; private set; }

        /// <summary>The redirect URI the library sent in the authorization URL (its listener's).</summary>
        public Uri RedirectUri
        {
            get
            {
                Assert.True(_url.Task.IsCompletedSuccessfully, "the launcher was never called");
                return new Uri(QueryHelpers.ParseQuery(_url.Task.Result.Query)["redirect_uri"].ToString());
            }
        }

        /// <summary>Starts the world; <paramref name="decision"/> is what chromium clicks on the consent page.</summary>
        public static async Task<World> StartAsync(Func<Chromium, Task> decision, string? scope = null, Action<DeviceAuthOptions>? configure = null)
        {
            // First, so that a missing chromium skips (or fails under CI) before anything else starts.
            var chromium = await Chromium.LaunchAsync();
            LoopbackAuthorizationServer? server = null;
            try
            {
                server = await LoopbackAuthorizationServer.StartAsync();
                var world = new World(chromium, server, Path.Combine(Path.GetTempPath(), "authhandler-browser-" + Guid.NewGuid().ToString("N")), decision);
                world.Build(scope, configure);
                return world;
            }
            catch
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }

                await chromium.DisposeAsync();
                throw;
            }
        }

        /// <summary>Waits (bounded) for chromium's steps (open, log in, decide) to end; rethrows what they threw.</summary>
        public async Task ChromiumDoneAsync()
        {
            var steps = await _steps.Task.WaitAsync(Bound, Cancel);
            await steps.WaitAsync(Bound, Cancel);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_provider is not null)
                {
                    var logs = _provider.GetFakeLogCollector();
                    await _provider.DisposeAsync();
                    AssertNoTokenInLogs(logs);
                }
            }
            finally
            {
                await Chromium.DisposeAsync();
                await Server.DisposeAsync();
                if (Directory.Exists(_directory))
                {
                    Directory.Delete(_directory, recursive: true);
                }
            }
        }

        private void Build(string? scope, Action<DeviceAuthOptions>? configure)
        {
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
            services.AddFakeLogging();
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<ITokenStore>(Store);
            services.AddHttpClient(ClientName, c => c.BaseAddress = Server.BaseAddress)
                .AddDeviceAuthHandler(o =>
                {
                    o.Authority = Server.Issuer;
                    o.ClientId = LoopbackAuthorizationServer.ClientId;
                    o.Scope = scope;
                    o.StorageDirectory = _directory;
                    o.Browser.LaunchBrowser = Launch;
                    configure?.Invoke(o);
                    Timeout = o.Browser.Timeout;
                })
                // The recording store lives in this process only: the process-local lock is the right one.
                .UseRefreshLock(_ => new InProcessRefreshLock());
            _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            Session = _provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
        }

        /// <summary>The launcher: records the URL, starts chromium's steps and returns at once (the browser "opened").</summary>
        private ValueTask<bool> Launch(Uri url, CancellationToken cancellationToken)
        {
            if (!_url.TrySetResult(url))
            {
                throw new InvalidOperationException("The launcher was called twice in one test.");
            }

            _steps.TrySetResult(Task.Run(async () =>
            {
                await Chromium.OpenAsync(url);
                await Chromium.FillLoginAsync(LoopbackAuthorizationServer.Username, LoopbackAuthorizationServer.Password);
                await _decision(Chromium);
            }, CancellationToken.None));
            return ValueTask.FromResult(true);
        }

        /// <summary>No token, code or verifier the server saw or issued appears in any log record.</summary>
        private void AssertNoTokenInLogs(FakeLogCollector logs)
        {
            var secrets = Server.IssuedTokens.SelectMany(t => new[] { t.AccessToken, t.RefreshToken, t.IdToken })
                .Concat(Server.Requests.SelectMany(r => new[] { r.Form.GetValueOrDefault("code"), r.Form.GetValueOrDefault("code_verifier") }))
                .OfType<string>()
                .ToArray();
            foreach (var record in logs.GetSnapshot())
            {
                var text = record.Message + " " + record.Exception + " " + string.Join(' ', record.StructuredState?.Select(kv => kv.Value) ?? []);
                foreach (var secret in secrets)
                {
                    Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                }
            }
        }
    }
}
