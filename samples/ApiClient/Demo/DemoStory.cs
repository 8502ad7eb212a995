using System.Text.Json;
using ApiClient.Cli;
using ApiClient.Client;
using ApiClient.Output;
using AuthHandler;
using Microsoft.Extensions.DependencyInjection;

namespace ApiClient.Demo;

/// <summary>
/// The demo: five steps against the embedded server, each checked and told in one line. A step
/// whose outcome is not what it claims fails the demo (exit 1) instead of printing the claim.
/// </summary>
internal sealed class DemoStory
{
    private const int ConcurrentCalls = 40;

    /// <summary>Waiting past expiry by this much makes sure the server sees the token as expired too.</summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromMilliseconds(300);

    private static readonly Uri ApiUri = new(DemoServer.ApiPath, UriKind.Relative);

    private readonly Reporter _reporter;
    private readonly bool _verbose;
    private readonly TimeProvider _time;

    public DemoStory(Reporter reporter, bool verbose, TimeProvider time)
    {
        _reporter = reporter;
        _verbose = verbose;
        _time = time;
    }

    /// <summary>
    /// Gets a value indicating whether step 1 signs in with the browser (<c>demo --browser</c>): the
    /// embedded server's Approve/Deny page in the real browser, or, with the demo-only switch
    /// <c>AUTHHANDLER_DEMO_AUTO_APPROVE</c>, an in-process stand-in for the browser and an immediate approval.
    /// </summary>
    public bool Browser { get; init; }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var settings = new DemoServerSettings { AutoApprove = Browser && EnvironmentVariables.IsSet(EnvironmentVariables.DemoAutoApprove) };

        // A directory of its own, deleted at the end: the demo never touches the user's real sign-ins.
        var store = Path.Combine(Path.GetTempPath(), "authhandler-demo-" + Guid.NewGuid().ToString("N"));
        int exitCode;
        try
        {
            var server = await DemoServer.StartAsync(settings, _time, cancellationToken);
            await using (server)
            {
                _reporter.DemoStarted(server.BaseAddress, store);
                exitCode = await TellAsync(server, settings, store, cancellationToken);
            }
        }
        finally
        {
            if (Directory.Exists(store))
            {
                Directory.Delete(store, recursive: true);
            }
        }

        if (exitCode == ExitCodes.Success)
        {
            _reporter.DemoFinished(_time.GetElapsedTime(started));
        }

        return exitCode;
    }

    private async Task<int> TellAsync(DemoServer server, DemoServerSettings settings, string store, CancellationToken cancellationToken)
    {
        var serverSettings = new ServerSettings
        {
            Authority = server.Authority,
            ClientId = DemoServer.ClientId,
            Scope = DemoServer.Scope,
            StoreDirectory = store,
            StoreGiven = true,

            // DPoP-bound tokens (RFC 9449), as login --dpop asks for: the server checks every proof.
            DPoP = true,
        };

        // The same registration a real app makes: AddHttpClient<ProtectedApi>().AddDeviceAuthHandler(...),
        // with the endpoints found through the server's discovery document. Two options differ from
        // the defaults because of the demo's 4-second token: no refresh ahead of expiry and no skew,
        // so the token stays in use until it has expired, however slow the machine, and step 3 shows
        // the expired-token path. A real app keeps the defaults (a background refresh shortly before expiry).
        // The tokens stay in the temporary directory's owner-only file, never the user's credential
        // store: deleting the directory is all the clean-up the demo needs.
        var browserSignIn = Browser
            ? new InteractiveSignIn(
                _reporter,
                SignInMethod.Browser,
                settings.AutoApprove ? (url, _) => SimulatedBrowser.OpenAsync(url, _reporter) : BrowserLauncher.FromEnvironment().OpenAsync,
                realBrowser: !settings.AutoApprove)
            : null;
        var provider = ClientServices.Build(serverSettings, server.BaseAddress, _verbose, options =>
        {
            options.RefreshWindow = TimeSpan.Zero;
            options.ExpirySkew = TimeSpan.Zero;
            browserSignIn?.Configure(options);
        }, platformStore: false);
        await using (provider)
        {
            var session = ClientServices.Session(provider);
            var api = provider.GetRequiredService<ProtectedApi>();
            // The session raises its events before the requests that waited for the refresh resume,
            // so by the time a call returns, its refresh has been reported.
            RefreshedEventArgs? lastRefresh = null;
            var refreshedCount = 0;
            session.Refreshed += (_, arguments) =>
            {
                lastRefresh = arguments;
                Interlocked.Increment(ref refreshedCount);
                _reporter.Refreshed(arguments);
            };
            SignInRequiredEventArgs? unauthorized = null;
            session.SignInRequired += (_, arguments) =>
            {
                unauthorized = arguments;
                _reporter.Unauthorized(arguments);
            };

            // 1. The device flow: code and URL (and a QR code on a terminal), a spinner while polling.
            // (With --browser: the authorization code flow with PKCE, the embedded server's Approve/Deny page.)
            var signInStarted = _time.GetTimestamp();
            if (browserSignIn is not null)
            {
                await browserSignIn.RunAsync(session, hint: null, codeShown: null, _time, cancellationToken);
            }
            else
            {
                await DeviceSignIn.RunAsync(session, _reporter, $"The demo server approves it by itself in {settings.ApprovalDelay.TotalSeconds:0} s.", codeShown: null, _time, cancellationToken);
            }

            var report = await SessionInspector.ReportAsync(serverSettings, session, storage: null, provider, _time, cancellationToken);
            _reporter.SignedIn(report);
            if (!report.SignedIn || !report.HasRefreshToken)
            {
                return Fail(1, "the sign-in completed but no usable tokens were stored.");
            }

            if (browserSignIn is not null && server.RedeemedAuthorizationCodes != 1)
            {
                return Fail(1, $"the browser sign-in completed but the server redeemed {server.RedeemedAuthorizationCodes} authorization codes (expected 1).");
            }

            // The key the stored tokens are bound to (by its public thumbprint) is the one the server bound them to.
            if (report.DPoPThumbprint is not { } thumbprint || thumbprint != server.LastBoundThumbprint || server.VerifiedProofs == 0)
            {
                return Fail(1, $"the tokens are not DPoP-bound to the stored key (stored: {report.DPoPThumbprint ?? "none"}, at the server: {server.LastBoundThumbprint ?? "none"}).");
            }

            var method = browserSignIn is null ? "the device flow"
                : settings.AutoApprove ? "the browser (authorization code with PKCE; approved by the demo server at once, AUTHHANDLER_DEMO_AUTO_APPROVE)"
                : "the browser (authorization code with PKCE)";
            _reporter.Step(1, $"Signed in with {method} after {Format.Seconds(_time.GetElapsedTime(signInStarted))}; the access token lasts {Format.Duration(settings.AccessTokenLifetime)}, and it and a refresh token are stored in an owner-only file.");

            // 2. A call through the typed client: the handler adds the token and the device headers.
            var signedInUntil = session.AccessTokenExpiresAt ?? _time.GetUtcNow();
            var first = await api.GetAsync(ApiUri, cancellationToken);
            var echo = ReadEcho(first);
            if (first.StatusCode != 200 || echo is null || !echo.Value.Headers.ContainsKey("X-Device-Platform"))
            {
                return Fail(2, $"the API answered {first.StatusCode} without echoing the device headers.");
            }

            if (server.Refreshes != 0)
            {
                return Fail(2, $"the machine is too slow for this demo: the {Format.Duration(settings.AccessTokenLifetime)} access token expired before the first call.");
            }

            var headers = echo.Value.Headers;
            var deviceId = Header(headers, "X-Device-Id");
            _reporter.Step(2, $"GET /{DemoServer.ApiPath} answered 200 for {echo.Value.Subject}, and the API received all {headers.Count} device headers: X-Device-Platform={Header(headers, "X-Device-Platform")}, X-Device-App-Version={Header(headers, "X-Device-App-Version")}, X-Device-Name={Header(headers, "X-Device-Name")}, X-Device-Id={deviceId[..Math.Min(8, deviceId.Length)]}... (plus Model and OS-Version).");

            // 3. Let the access token expire: the next call waits for exactly one refresh.
            var expiresAt = signedInUntil;
            await _reporter.PauseAsync("Letting the access token expire", expiresAt + ExpiryMargin, _time, cancellationToken);
            var refreshesBefore = server.Refreshes;
            var afterExpiry = await api.GetAsync(ApiUri, cancellationToken);
            var refreshes = server.Refreshes - refreshesBefore;
            if (afterExpiry.StatusCode != 200 || refreshes != 1 || Volatile.Read(ref refreshedCount) != 1)
            {
                return Fail(3, $"after expiry the call got {afterExpiry.StatusCode} with {refreshes} refreshes at the server and {Volatile.Read(ref refreshedCount)} Refreshed events (expected 200 with 1).");
            }

            var rotated = lastRefresh is { RefreshTokenRotated: true } ? "; the server rotated the refresh token" : string.Empty;
            _reporter.Step(3, $"The access token expired {Format.Seconds(_time.GetUtcNow() - expiresAt)} ago; the next call waited for 1 refresh and got 200{rotated}.");

            // 4. The server invalidates the access token under a burst of calls: one refresh serves them all.
            server.InvalidateAccessTokens();
            refreshesBefore = server.Refreshes;
            var rejectedBefore = server.RejectedApiCalls;
            var burst = await Task.WhenAll(Enumerable.Range(0, ConcurrentCalls).Select(_ => api.GetAsync(ApiUri, cancellationToken)));
            refreshes = server.Refreshes - refreshesBefore;
            var succeeded = burst.Count(response => response.StatusCode == 200);
            var rejected = server.RejectedApiCalls - rejectedBefore;
            if (succeeded != ConcurrentCalls || refreshes != 1 || Volatile.Read(ref refreshedCount) != 2)
            {
                return Fail(4, $"{ConcurrentCalls} concurrent calls: {succeeded} succeeded with {refreshes} refreshes at the server and {Volatile.Read(ref refreshedCount) - 1} Refreshed events (expected all with 1).");
            }

            _reporter.Step(4, $"The server invalidated the access token; {ConcurrentCalls} concurrent calls got {rejected} x 401 between them, caused exactly 1 refresh, and all {succeeded} succeeded on their one retry.");

            // 5. The server revokes the grant: the sign-in-required signal, then a clean signed-out state.
            server.RevokeGrant();
            var revoked = await api.GetAsync(ApiUri, cancellationToken);
            var stored = await session.GetAccountAsync(cancellationToken);
            var apiCallsBefore = server.ApiCalls;
            var later = await api.GetAsync(ApiUri, cancellationToken);
            var reachedApi = server.ApiCalls - apiCallsBefore;
            if (unauthorized is not { } signal)
            {
                return Fail(5, $"after revocation the call got {revoked.StatusCode} and no sign-in-required signal was raised.");
            }

            if (revoked.StatusCode != 401 || session.State != SessionState.SignInRequired || stored is not null || later.StatusCode != 401 || reachedApi != 0)
            {
                return Fail(5, $"after revocation: call {revoked.StatusCode}, state {session.State}, tokens stored {stored is not null}, later call {later.StatusCode} reaching the API {reachedApi} times.");
            }

            _reporter.Step(5, $"The server revoked the refresh token; the next call got 401 and raised the sign-in-required signal ({signal.Reason}, {signal.Error ?? "no error code"}); the session state is {session.State}, the token store is empty, and a later call failed fast ({later.ReasonPhrase}) without reaching the API.");
            _reporter.DemoDPoP(thumbprint, server.VerifiedProofs, server.NonceChallenges);
            return ExitCodes.Success;
        }
    }

    private static (string Subject, Dictionary<string, string> Headers)? ReadEcho(ApiResponse response)
    {
        if (response.StatusCode != 200)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(response.Body);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in document.RootElement.GetProperty("device_headers").EnumerateObject())
            {
                headers[header.Name] = header.Value.GetString() ?? string.Empty;
            }

            return (document.RootElement.GetProperty("subject").GetString() ?? "?", headers);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Header(Dictionary<string, string> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value : "(missing)";

    private int Fail(int step, string message)
    {
        _reporter.StepFailed(step, message);
        return ExitCodes.Failure;
    }
}
