namespace AuthHandler.Sessions.Internal;

/// <summary>
/// What <see cref="SignInFlow"/> needs for the browser sign-in and the choice of method. The
/// grant comes in as a delegate shaped like the device flow's: the opener of the authorization
/// URL, then the cancellation.
/// </summary>
/// <param name="Flow">The wire part (<c>BrowserFlow.RunAsync</c>): returns the tokens or throws <see cref="BrowserSignInException"/>.</param>
/// <param name="IsSupported">Whether the server supports the flow (<c>BrowserFlow.IsSupportedAsync</c>).</param>
/// <param name="WhyNoBrowser">Null when a browser can be shown here, else why not.</param>
/// <param name="OpenBrowser">Shows the authorization URL (the app's callback, then the launcher).</param>
/// <param name="DefaultMethod">The method of <c>SignInAsync()</c> and of sign-in on demand.</param>
internal sealed record BrowserSignIn(
    Func<Func<Uri, CancellationToken, ValueTask<bool>>, CancellationToken, Task<TokenSet>> Flow,
    Func<CancellationToken, ValueTask<bool>> IsSupported,
    Func<string?> WhyNoBrowser,
    Func<Uri, CancellationToken, ValueTask<bool>> OpenBrowser,
    SignInMethod DefaultMethod);
