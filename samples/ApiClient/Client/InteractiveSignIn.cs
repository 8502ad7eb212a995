using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Client;

/// <summary>
/// A sign-in with the method the user chose: the browser (authorization code with PKCE on a
/// loopback redirect, RFC 8252), the device code (RFC 8628), or the library's automatic choice
/// between them. The library runs either flow; this class shows what each needs: the
/// authorization URL and the opened page for the browser, the code, QR code and spinner for the
/// device code. <see cref="Configure"/> hands the library the callbacks before the session is built.
/// </summary>
internal sealed class InteractiveSignIn
{
    private readonly Reporter _reporter;
    private readonly Func<Uri, CancellationToken, Task<string?>> _open;
    private readonly SignInMethod _method;
    private readonly bool _realBrowser;
    private readonly TaskCompletionSource<OnDeviceCodeArguments> _issued = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="reporter">Shows the URL, the code and the wait.</param>
    /// <param name="method">How to sign in.</param>
    /// <param name="open">Opens the authorization URL: null when it did, else why not (<see cref="BrowserLauncher.OpenAsync"/>).</param>
    /// <param name="realBrowser">Whether <paramref name="open"/> starts the user's browser (and says so); false for the demo's in-process stand-in.</param>
    public InteractiveSignIn(Reporter reporter, SignInMethod method, Func<Uri, CancellationToken, Task<string?>> open, bool realBrowser = true)
    {
        _reporter = reporter;
        _method = method;
        _open = open;
        _realBrowser = realBrowser;
    }

    /// <summary>Gets a value indicating whether the sign-in used the device code (the automatic choice, or its fallback).</summary>
    public bool UsedDeviceCode => _issued.Task.IsCompleted;

    /// <summary>The library's side: the device code comes back here, the browser is this sample's launcher, the URL is shown.</summary>
    public void Configure(DeviceAuthOptions options)
    {
        options.OnDeviceCode = code =>
        {
            _issued.TrySetResult(code);
            return ValueTask.CompletedTask;
        };
        options.Browser.OnAuthorizationUrl = (url, _) =>
        {
            _reporter.AuthorizationUrl(url);
            return ValueTask.CompletedTask;
        };
        options.Browser.LaunchBrowser = LaunchAsync;
    }

    /// <summary>Signs <paramref name="session"/> in; throws the library's sign-in exceptions when it does not complete.</summary>
    /// <param name="session">The session, built with <see cref="Configure"/>.</param>
    /// <param name="hint">A sentence shown after a device code, if any.</param>
    /// <param name="codeShown">Runs once a device code is on screen, while the session already polls (login opens the page there).</param>
    /// <param name="time">The clock of the countdown.</param>
    /// <param name="cancellationToken">Stops the sign-in.</param>
    public async Task RunAsync(
        DeviceAuthSession session,
        string? hint,
        Func<OnDeviceCodeArguments, CancellationToken, Task>? codeShown,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var signIn = session.SignInAsync(_method, cancellationToken);
        if (await Task.WhenAny(_issued.Task, signIn) == signIn)
        {
            // The browser sign-in completed or failed, or the server refused before there was a code.
            await signIn;
            return;
        }

        var code = await _issued.Task;
        _reporter.CodeIssued(code, hint);
        if (codeShown is not null)
        {
            await codeShown(code, cancellationToken);
        }

        await _reporter.WaitForApprovalAsync(signIn, code.ExpiresAt, time);
    }

    /// <summary>
    /// The library's <see cref="BrowserSignInOptions.LaunchBrowser"/>. When the launcher fails: with
    /// the browser asked for, the URL shown above can still be opened by hand, so the sign-in keeps
    /// waiting (true); with the automatic choice, false lets the library fall back to the device code.
    /// </summary>
    private async ValueTask<bool> LaunchAsync(Uri url, CancellationToken cancellationToken)
    {
        if (await _open(url, cancellationToken) is { } problem)
        {
            if (_method == SignInMethod.Browser)
            {
                _reporter.Warning($"Could not open a browser: {problem}. Open the URL above yourself; the sign-in waits for it.");
                return true;
            }

            _reporter.Warning($"Could not open a browser: {problem}. Signing in with a device code instead.");
            return false;
        }

        if (_realBrowser)
        {
            _reporter.SignInPageOpened(url);
        }

        return true;
    }
}
