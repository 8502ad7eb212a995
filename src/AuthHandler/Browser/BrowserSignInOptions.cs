namespace AuthHandler;

/// <summary>
/// The browser sign-in (<see cref="SignInMethod.Browser"/>): the authorization code flow with PKCE
/// S256 and a loopback redirect (RFC 8252 §7.3), whose code is redeemed at the same token endpoint,
/// with the same client authentication, as the device flow's.
/// </summary>
public sealed class BrowserSignInOptions
{
    /// <summary>
    /// Gets or sets the authorization endpoint (RFC 6749 §3.1). When not set, from discovery
    /// (<c>authorization_endpoint</c>). HTTPS is required except on loopback.
    /// </summary>
    public Uri? AuthorizationEndpoint { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the redirect listener binds <c>[::1]</c> instead of
    /// <c>127.0.0.1</c>. The redirect URI is <c>http://[::1]:{port}{RedirectPath}</c> then.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: <c>http://127.0.0.1:{port}{RedirectPath}</c>.</value>
    public bool UseIPv6 { get; set; }

    /// <summary>
    /// Gets or sets the path of the redirect URI; the port is a free one chosen for each attempt
    /// (RFC 8252 §7.3: the server must allow any port on the loopback redirect). Starts with <c>/</c>.
    /// </summary>
    /// <value>The default value is <c>/callback</c>.</value>
    public string RedirectPath { get; set; } = "/callback";

    /// <summary>Gets or sets how long the listener waits for the browser's redirect before the sign-in fails with <see cref="BrowserSignInFailure.TimedOut"/>.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets what opens the authorization URL: returns <see langword="true"/> when the
    /// page is open (or shown to the user some other way), <see langword="false"/> when it cannot
    /// be. When not set, the operating system's handler (<c>xdg-open</c>, <c>open</c>, the shell's
    /// URL association), given the URL as one argument, never through a shell; a handler that
    /// exits with an error within one second counts as failed.
    /// </summary>
    public Func<Uri, CancellationToken, ValueTask<bool>>? LaunchBrowser { get; set; }

    /// <summary>
    /// Gets or sets a callback that receives the authorization URL before the browser is opened,
    /// so the app can show it too ("if no browser opens, go to …").
    /// </summary>
    public Func<Uri, CancellationToken, ValueTask>? OnAuthorizationUrl { get; set; }
}
