namespace AuthHandler;

/// <summary>How a session signs the user in.</summary>
public enum SignInMethod
{
    /// <summary>
    /// The browser (<see cref="Browser"/>) when there is a display (on Linux and the BSDs
    /// <c>DISPLAY</c> or <c>WAYLAND_DISPLAY</c> is set and the process is not in an SSH session;
    /// elsewhere, an interactive session) and the authorization server has an authorization
    /// endpoint that allows PKCE S256; else the device code (<see cref="DeviceCode"/>). A browser
    /// that cannot be opened falls back to the device code too.
    /// </summary>
    Automatic,

    /// <summary>
    /// The authorization code flow in the user's browser (RFC 8252: PKCE S256, a loopback
    /// redirect). Fails with <see cref="BrowserSignInException"/> when it cannot be used.
    /// </summary>
    Browser,

    /// <summary>The device authorization grant (RFC 8628), shown through <see cref="DeviceAuthOptions.OnDeviceCode"/>.</summary>
    DeviceCode,
}
