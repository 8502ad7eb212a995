using ApiClient.Cli;
using ApiClient.Client;
using AuthHandler;

namespace ApiClient.Output;

/// <summary>
/// Everything a command tells the user, as events. <see cref="TextReporter"/> turns them into
/// readable lines (with colors, a spinner and a QR code on a terminal); <see cref="JsonReporter"/>
/// into one JSON object per line. Neither is ever handed a token value.
/// </summary>
internal abstract class Reporter
{
    /// <summary>Creates the reporter the settings ask for.</summary>
    /// <param name="settings">JSON, rich or plain.</param>
    /// <param name="story">The demo: its step lines tell what happened, so text output leaves out the per-event lines.</param>
    public static Reporter Create(OutputSettings settings, bool story = false) =>
        settings.Json
            ? new JsonReporter(Console.Out)
            : new TextReporter(settings.Rich, story, Console.Out, Console.Error);

    public abstract void DemoStarted(Uri server, string storeDirectory);

    public abstract void Step(int number, string message);

    public abstract void StepFailed(int number, string message);

    public abstract void DemoFinished(TimeSpan elapsed);

    /// <summary>The demo's tokens were DPoP-bound to the key with <paramref name="thumbprint"/> (public; never the key).</summary>
    public abstract void DemoDPoP(string thumbprint, int verifiedProofs, int nonceChallenges);

    /// <summary>Waits until <paramref name="until"/>, showing <paramref name="activity"/> with a countdown on a terminal.</summary>
    public abstract Task PauseAsync(string activity, DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken);

    /// <summary>The device code to show: URL, user code, QR code on a terminal.</summary>
    public abstract void CodeIssued(OnDeviceCodeArguments code, string? hint);

    /// <summary>Shows a spinner with the time left until <paramref name="signIn"/> completes; rethrows its failure.</summary>
    public abstract Task WaitForApprovalAsync(Task signIn, DateTimeOffset expiresAt, TimeProvider time);

    public abstract void SignedIn(SessionReport report);

    public abstract void Refreshed(RefreshedEventArgs arguments);

    /// <summary>The library's sign-in-required signal: the session signed itself out.</summary>
    public abstract void Unauthorized(SignInRequiredEventArgs arguments);

    /// <summary>The user signed out (logout).</summary>
    public abstract void SignedOut(RevocationResult revocation, bool hadTokens);

    public abstract void Response(Uri requestUri, ApiResponse response);

    public abstract void Status(SessionReport report);

    public abstract void Error(string code, string message, int exitCode);

    /// <summary>Something went wrong that the command works around, such as an unreadable remembered file.</summary>
    public abstract void Warning(string message);

    /// <summary>login remembered the server, client id and scope in <paramref name="file"/>.</summary>
    public abstract void Remembered(string file);

    /// <summary>The verification page was handed to the browser.</summary>
    public abstract void BrowserOpened(Uri url);

    /// <summary>The browser sign-in's authorization URL, shown before the browser is opened, so the user can open it by hand.</summary>
    public abstract void AuthorizationUrl(Uri url);

    /// <summary>The browser sign-in's page was handed to the browser.</summary>
    public abstract void SignInPageOpened(Uri url);

    /// <summary>Why a session needs a new sign-in, in words.</summary>
    public static string Describe(SignInRequiredReason? reason) => reason switch
    {
        SignInRequiredReason.NoTokens => "no tokens are stored",
        SignInRequiredReason.RefreshRejected => "the authorization server rejected the refresh token",
        SignInRequiredReason.RefreshTokenExpired => "the refresh token has expired",
        SignInRequiredReason.NoRefreshToken => "the access token was rejected and there is no refresh token",
        SignInRequiredReason.TokenStoreUnreadable => "the token store cannot be read",
        SignInRequiredReason.SignInFailed => "the sign-in did not complete",
        SignInRequiredReason.RefreshAnswerLost => "the authorization server rejected a refresh token whose earlier redemption was never answered (a lost response)",
        SignInRequiredReason.DPoPSettingChanged => "the stored tokens do not fit the DPoP setting (bound to a key while DPoP is off, or bearer tokens while it is on)",
        _ => "the session is signed out",
    };
}
