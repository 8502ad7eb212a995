using System.Net;
using AuthHandler.Browser.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Tests.Integration;

public sealed class BrowserSignInTests
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static AuthTestHost Start(TestBrowser browser, Action<DeviceAuthOptions>? configure = null, bool display = true) =>
        AuthTestHost.Start(
            o =>
            {
                o.Browser.LaunchBrowser = browser.Launcher;
                o.OnDeviceCode = _ => ValueTask.CompletedTask;
                configure?.Invoke(o);
            },
            services: s =>
            {
                if (display)
                {
                    s.AddSingleton(new InteractiveEnvironment(() => null));
                }
            });

    [Fact]
    public async Task Browser_UserApproves_TokenEndpointVerifiedPkceAndRedirectUriAndTheTokensAreStoredAndUsed()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.Scope = "read");
        var server = new FakeCodeFlowServer(host);
        host.ApiAccepts(FakeCodeFlowServer.Access);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (page, body, callback) = await browser.SignInAsync();
        await signIn;

        var authorize = Assert.Single(server.AuthorizeRequests);
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal(AuthTestHost.ClientId, authorize["client_id"]);
        Assert.Equal("read", authorize["scope"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Null(authorize["nonce"]);
        var redirect = new Uri(authorize["redirect_uri"]!);
        Assert.Equal("127.0.0.1", redirect.Host);
        Assert.Equal("/callback", redirect.AbsolutePath);
        Assert.NotEqual(0, redirect.Port);
        var (form, verdict) = Assert.Single(server.CodeRedemptions);
        Assert.Equal("ok", verdict);
        Assert.Equal("authorization_code", form["grant_type"]);
        Assert.Equal(AuthTestHost.ClientId, form["client_id"]);
        Assert.Equal(43, form["code_verifier"]!.Length);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Sign-in finished", body, StringComparison.Ordinal);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Equal(FakeCodeFlowServer.Refresh, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", Cancel)).StatusCode);
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Fact]
    public async Task Browser_DPoPEnabled_CodeIsBoundToTheSignInKeyAndRedeemedWithAProofOfIt_AndTheStoredTokensAreDPoPBound()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.DPoP.Enabled = true);
        var server = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await browser.SignInAsync();
        await signIn;

        var jkt = Assert.Single(server.AuthorizeRequests)["dpop_jkt"];
        Assert.Equal("ok", Assert.Single(server.CodeRedemptions).Verdict);
        Assert.Equal(jkt, Assert.Single(server.ProofThumbprints));
        var stored = (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!;
        Assert.Equal("DPoP", stored.TokenType);
        Assert.True(Protocol.DPoP.Internal.DPoPKey.TryImport(stored.DPoPKey, out var key, out _));
        using (key)
        {
            Assert.Equal(jkt, key.Thumbprint);
        }

        Assert.Equal("DPoP", (await host.Session.GetAccessTokenAsync(Cancel)).Scheme);
    }

    [Fact]
    public async Task Browser_LandingPage_IsSelfContainedHtmlWithNoStoreAndAStrictContentSecurityPolicy()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (page, body, _) = await browser.SignInAsync();
        await signIn;

        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("no-store", page.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'none'; style-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Browser_TwoAttempts_EachSendsAFreshStateAndCodeChallenge()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host);

        for (var i = 0; i < 2; i++)
        {
            var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
            await browser.SignInAsync();
            await signIn;
        }

        var requests = server.AuthorizeRequests.ToArray();
        Assert.NotEqual(requests[0]["state"], requests[1]["state"]);
        Assert.NotEqual(requests[0]["code_challenge"], requests[1]["code_challenge"]);
        var verifiers = server.CodeRedemptions.Select(r => r.Form["code_verifier"]).ToArray();
        Assert.NotEqual(verifiers[0], verifiers[1]);
        Assert.All(server.CodeRedemptions, r => Assert.Equal("ok", r.Verdict));
    }

    [Theory]
    [InlineData("access_denied", BrowserSignInFailure.AccessDenied)]
    [InlineData("invalid_scope", BrowserSignInFailure.AuthorizationError)]
    public async Task Browser_ServerAnswersWithAnError_TypedFailureNothingStoredListenerClosedAndThePageSaysWhyEncoded(string error, BrowserSignInFailure expected)
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host)
        {
            RedirectQuery = (q, _) => [new("error", error), new("error_description", "<script>alert(1)</script> no"), new("state", q["state"]!)],
        };
        await host.SeedAsync("at-old-" + AuthTestHost.SecretMarker, "rt-old-" + AuthTestHost.SecretMarker);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (page, body, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(expected, ex.Failure);
        Assert.Equal(error, ex.Error);
        Assert.Equal("<script>alert(1)</script> no", ex.ErrorDescription);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains(error, body, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; no", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        Assert.Empty(server.CodeRedemptions);
        Assert.Equal("rt-old-" + AuthTestHost.SecretMarker, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Fact]
    public async Task Browser_ErrorDescriptionWithControlCharacters_IsSanitisedAndBounded()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host)
        {
            RedirectQuery = (q, _) => [new("error", "access_denied"), new("error_description", "line1\r\nline2\u202E" + new string('x', 500)), new("state", q["state"]!)],
        };

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (_, body, _) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.StartsWith("line1line2xxx", ex.ErrorDescription, StringComparison.Ordinal);
        Assert.True(ex.ErrorDescription!.Length <= 201);
        Assert.DoesNotContain("\u202E", body, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 250), body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("missing")]
    [InlineData("twice")]
    public async Task Browser_StateNotThisSignIns_StateMismatchAndTheCodeIsNeverRedeemed(string how)
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host)
        {
            RedirectQuery = (q, code) => how switch
            {
                "wrong" => [new("code", code), new("state", q["state"]![..^1] + (q["state"]![^1] == 'A' ? "B" : "A"))],
                "missing" => [new("code", code)],
                _ => [new("code", code), new("state", q["state"]!), new("state", q["state"]!)],
            },
        };

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (_, body, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(BrowserSignInFailure.StateMismatch, ex.Failure);
        Assert.Empty(server.CodeRedemptions);
        Assert.Contains("does not belong", body, StringComparison.Ordinal);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, Cancel));
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Fact]
    public async Task Browser_RedirectWithoutCode_MissingCodeNothingStored()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host) { RedirectQuery = (q, _) => [new("state", q["state"]!)] };

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (_, body, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(BrowserSignInFailure.MissingCode, ex.Failure);
        Assert.Contains("no authorization code", body, StringComparison.Ordinal);
        Assert.Empty(server.CodeRedemptions);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, Cancel));
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Fact]
    public async Task Browser_FirstCallbackDecides_ASecondRequestIsRefusedAndChangesNothing()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var callback = await browser.AuthorizeAsync(await browser.NextUrlAsync());
        var tampered = new UriBuilder(callback) { Query = "error=access_denied&state=" + Uri.EscapeDataString(System.Web.HttpUtility.ParseQueryString(callback.Query)["state"]!) }.Uri;
        using (var first = await browser.Http.GetAsync(callback, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await Assert.ThrowsAsync<HttpRequestException>(() => browser.Http.GetAsync(tampered, Cancel));
        await signIn;

        Assert.Equal(SessionState.SignedIn, host.Session.State);
        Assert.Single(server.CodeRedemptions);
    }

    [Fact]
    public async Task Browser_RequestToAnotherPathOrMethod_Gets404Or405AndTheAttemptGoesOn()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var callback = await browser.AuthorizeAsync(await browser.NextUrlAsync());
        using (var favicon = await browser.Http.GetAsync(new Uri(callback, "/favicon.ico"), Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, favicon.StatusCode);
        }

        using (var post = await browser.Http.PostAsync(callback, new StringContent("x"), Cancel))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        using (var page = await browser.Http.GetAsync(callback, Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        await signIn;
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task Browser_NoRedirectWithinTheTimeout_TimedOutAfterExactlyTheTimeoutAndTheListenerIsClosed()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var url = await browser.NextUrlAsync();
        await host.Time.WaitForTimerAsync(DefaultTimeout);
        host.Time.Advance(DefaultTimeout);
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(BrowserSignInFailure.TimedOut, ex.Failure);
        var redirect = new Uri(System.Web.HttpUtility.ParseQueryString(url.Query)["redirect_uri"]!);
        Assert.True(await TestBrowser.RefusesAsync(redirect));
        Assert.Empty(server.CodeRedemptions);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, Cancel));
    }

    [Fact]
    public async Task Browser_Cancelled_ThrowsOperationCanceledAndTheListenerIsClosed()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host);
        using var cancellation = new CancellationTokenSource();

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, cancellation.Token);
        var url = await browser.NextUrlAsync();
        await host.Time.WaitForTimerAsync(DefaultTimeout);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signIn);
        Assert.True(await TestBrowser.RefusesAsync(new Uri(System.Web.HttpUtility.ParseQueryString(url.Query)["redirect_uri"]!)));
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, Cancel));
    }

    [Fact]
    public async Task Browser_LauncherFails_BrowserNotOpenedWithAClearMessageAndTheListenerIsClosed()
    {
        using var browser = new TestBrowser { Opens = false };
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host);

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => host.Session.SignInAsync(SignInMethod.Browser, Cancel));

        Assert.Equal(BrowserSignInFailure.BrowserNotOpened, ex.Failure);
        Assert.Contains("browser could not be opened", ex.Message, StringComparison.Ordinal);
        var url = await browser.NextUrlAsync();
        Assert.True(await TestBrowser.RefusesAsync(new Uri(System.Web.HttpUtility.ParseQueryString(url.Query)["redirect_uri"]!)));
        Assert.Equal(0, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
    }

    [Fact]
    public async Task Browser_IssAdvertisedAndCorrect_SignsIn()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host, advertiseIss: true);
        server.SendIss = server.Issuer;

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await browser.SignInAsync();
        await signIn;

        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(true, "https://evil.example.com")]
    [InlineData(false, "https://evil.example.com")]
    public async Task Browser_IssMissingWhileAdvertisedOrWrongEitherWay_IssuerMismatchAndTheCodeIsNeverRedeemed(bool advertised, string? iss)
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host, advertiseIss: advertised) { SendIss = iss };

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (_, _, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(BrowserSignInFailure.IssuerMismatch, ex.Failure);
        Assert.Empty(server.CodeRedemptions);
        Assert.Null(await host.Store.GetAsync(host.Session.StoreKey, Cancel));
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Fact]
    public async Task Browser_OpenIdWithTheRightNonce_SendsAFreshNonceAndSignsIn()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.Scope = "openid profile");
        var server = new FakeCodeFlowServer(host);

        for (var i = 0; i < 2; i++)
        {
            var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
            await browser.SignInAsync();
            await signIn;
        }

        var nonces = server.AuthorizeRequests.Select(r => r["nonce"]).ToArray();
        Assert.All(nonces, n => Assert.Equal(43, n!.Length));
        Assert.NotEqual(nonces[0], nonces[1]);
        Assert.NotNull((await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.IdToken);
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("no id token")]
    public async Task Browser_OpenIdWithAWrongOrMissingNonce_NonceMismatchAndNothingStored(string how)
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.Scope = "openid");
        var server = new FakeCodeFlowServer(host) { IdTokenNonce = how == "wrong" ? "another-nonce" : null, NoIdToken = how != "wrong" };
        await host.SeedAsync("at-old-" + AuthTestHost.SecretMarker, "rt-old-" + AuthTestHost.SecretMarker);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (_, body, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(BrowserSignInFailure.NonceMismatch, ex.Failure);
        Assert.Equal("ok", Assert.Single(server.CodeRedemptions).Verdict);
        Assert.Contains("ID token does not belong", body, StringComparison.Ordinal);
        Assert.Equal("rt-old-" + AuthTestHost.SecretMarker, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
        Assert.True(await TestBrowser.RefusesAsync(callback));
    }

    [Theory]
    [InlineData(400, BrowserSignInFailure.TokenRejected)]
    [InlineData(503, BrowserSignInFailure.Unavailable)]
    public async Task Browser_TokenEndpointRefusesOrIsUnavailable_TypedFailurePreviousTokensIntact(int status, BrowserSignInFailure expected)
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.BackchannelMaxRetryAttempts = 0);
        var server = new FakeCodeFlowServer(host)
        {
            TokenAnswer = status == 400 ? (400, new { error = "invalid_grant", error_description = "code spent" }) : (503, new { }),
        };
        await host.SeedAsync("at-old-" + AuthTestHost.SecretMarker, "rt-old-" + AuthTestHost.SecretMarker);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var (page, _, callback) = await browser.SignInAsync();
        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => signIn);

        Assert.Equal(expected, ex.Failure);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Single(server.CodeRedemptions);
        Assert.Equal("rt-old-" + AuthTestHost.SecretMarker, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
        Assert.True(await TestBrowser.RefusesAsync(callback));
        Assert.DoesNotContain(AuthTestHost.SecretMarker, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_ServerWithoutS256_NotSupportedAndNoBrowserOpened()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host, challengeMethods: ["plain"]);

        var ex = await Assert.ThrowsAsync<BrowserSignInException>(() => host.Session.SignInAsync(SignInMethod.Browser, Cancel));

        Assert.Equal(BrowserSignInFailure.NotSupported, ex.Failure);
        Assert.Equal(0, browser.Launches);
    }

    [Fact]
    public async Task Browser_UseIPv6_ListensAndRedirectsOnTheIPv6Loopback()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o => o.Browser.UseIPv6 = true);
        var server = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        await browser.SignInAsync();
        await signIn;

        Assert.Equal("[::1]", new Uri(Assert.Single(server.AuthorizeRequests)["redirect_uri"]!).Host);
        Assert.Equal(SessionState.SignedIn, host.Session.State);
    }

    [Fact]
    public async Task Browser_OnAuthorizationUrl_ReceivesTheSameUrlTheLauncherOpens()
    {
        using var browser = new TestBrowser();
        Uri? shown = null;
        await using var host = Start(browser, o => o.Browser.OnAuthorizationUrl = (url, _) => { shown = url; return ValueTask.CompletedTask; });
        _ = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(SignInMethod.Browser, Cancel);
        var url = await browser.NextUrlAsync();
        using (var page = await browser.Http.GetAsync(await browser.AuthorizeAsync(url), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        await signIn;
        Assert.Equal(url, shown);
    }

    [Fact]
    public async Task Automatic_DisplayAndServerSupport_SignsInWithTheBrowser()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        var server = new FakeCodeFlowServer(host);

        var signIn = host.Session.SignInAsync(Cancel);
        await browser.SignInAsync();
        await signIn;

        Assert.Equal("ok", Assert.Single(server.CodeRedemptions).Verdict);
        Assert.Equal(0, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
        Assert.Equal(FakeCodeFlowServer.Refresh, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
    }

    [Fact]
    public async Task Automatic_NoDisplay_SignsInWithTheDeviceCodeAndNeverOpensTheBrowser()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, display: false);
        _ = new FakeCodeFlowServer(host);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());

        await SignInWithDeviceCodeAsync(host, host.Session.SignInAsync(SignInMethod.Automatic, Cancel));

        Assert.Equal(0, browser.Launches);
        Assert.Equal(1, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 59 && r.Message.Contains("no display", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Automatic_ServerWithoutAuthorizationEndpoint_SignsInWithTheDeviceCode()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host, authorizationEndpoint: false);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());

        await SignInWithDeviceCodeAsync(host, host.Session.SignInAsync(Cancel));

        Assert.Equal(0, browser.Launches);
        Assert.Equal(1, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
    }

    [Fact]
    public async Task Automatic_ServerWithoutS256_SignsInWithTheDeviceCode()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host, challengeMethods: ["plain"]);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());

        await SignInWithDeviceCodeAsync(host, host.Session.SignInAsync(Cancel));

        Assert.Equal(0, browser.Launches);
        Assert.Equal(1, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
    }

    [Fact]
    public async Task Automatic_BrowserCannotBeOpened_FallsBackToTheDeviceCodeWithALogLine()
    {
        using var browser = new TestBrowser { Opens = false };
        await using var host = Start(browser);
        _ = new FakeCodeFlowServer(host);
        host.DeviceEndpointAnswers(AuthTestHost.DeviceCode());

        await SignInWithDeviceCodeAsync(host, host.Session.SignInAsync(Cancel));

        Assert.Equal(1, browser.Launches);
        Assert.Equal(1, host.Idp.LogEntries.Count(e => e.RequestMessage.Path == "/device"));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 60);
    }

    [Fact]
    public async Task SignInOnDemand_BrowserMethod_ARequestWithoutTokensSignsInThroughTheBrowser()
    {
        using var browser = new TestBrowser();
        await using var host = Start(browser, o =>
        {
            o.SignInOnDemand = true;
            o.SignInMethod = SignInMethod.Browser;
            o.OnDeviceCode = null;
        });
        _ = new FakeCodeFlowServer(host);
        host.ApiAccepts(FakeCodeFlowServer.Access);

        var request = host.Client.GetAsync("/data", Cancel);
        await browser.SignInAsync();

        Assert.Equal(HttpStatusCode.OK, (await request).StatusCode);
    }

    /// <summary>The device flow's first poll waits the interval (5 s); the fake token endpoint approves it.</summary>
    private static async Task SignInWithDeviceCodeAsync(AuthTestHost host, Task signIn)
    {
        await host.Time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await signIn;
        Assert.Equal("rt-device-" + AuthTestHost.SecretMarker, (await host.Store.GetAsync(host.Session.StoreKey, Cancel))!.RefreshToken);
    }
}
