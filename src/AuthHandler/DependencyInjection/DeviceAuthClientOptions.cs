namespace AuthHandler;

/// <summary>
/// How one HTTP client's requests are authorized with the session it is attached to: which
/// origins receive the token, the header that carries it, and what a request gets when the user
/// must sign in. Named after the HTTP client. Each value starts as the session's
/// <see cref="DeviceAuthOptions"/> value, so a client attached with
/// <c>AddDeviceAuthHandler(sessionName)</c> changes only what differs.
/// </summary>
public sealed class DeviceAuthClientOptions
{
    /// <summary>
    /// Gets the origins (<c>https://host[:port]</c>) that receive the token and the device
    /// headers; requests to any other origin pass through untouched, on every redirect hop too.
    /// HTTPS is required except on loopback.
    /// </summary>
    /// <value>
    /// The default value is the session's <see cref="DeviceAuthOptions.AllowedOrigins"/>. When the
    /// list is empty, the origin of the first request this client sends is pinned and is the only
    /// one that receives the token (see <see cref="DeviceAuthOptions.AllowedOrigins"/>).
    /// </value>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Gets or sets the request header that carries the token (see <see cref="DeviceAuthOptions.AuthorizationHeaderName"/>).</summary>
    /// <value>The default value is the session's <see cref="DeviceAuthOptions.AuthorizationHeaderName"/>.</value>
    public string AuthorizationHeaderName { get; set; } = DeviceAuthConstants.AuthorizationHeaderName;

    /// <summary>Gets or sets what a request of this client gets when the user must sign in again.</summary>
    /// <value>The default value is the session's <see cref="DeviceAuthOptions.SignInRequiredBehavior"/>.</value>
    public SignInRequiredBehavior SignInRequiredBehavior { get; set; } = SignInRequiredBehavior.ReturnUnauthorizedResponse;
}
