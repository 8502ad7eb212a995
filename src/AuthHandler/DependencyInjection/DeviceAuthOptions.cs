using System.ComponentModel.DataAnnotations;

namespace AuthHandler;

/// <summary>
/// Options of one device-auth session, and the defaults of the HTTP clients attached to it
/// (<see cref="DeviceAuthClientOptions"/>). Named after the session (with
/// <c>AddDeviceAuthHandler(options =&gt; ...)</c>, the client), bound from code or configuration,
/// and validated when the host starts (or the session is first used).
/// </summary>
public sealed class DeviceAuthOptions
{
    /// <summary>
    /// Gets or sets the authorization server's issuer URL, e.g. <c>https://id.example.com</c>.
    /// HTTPS is required except on loopback.
    /// </summary>
    [Required]
    public string? Authority { get; set; }

    /// <summary>Gets or sets the OAuth client id.</summary>
    [Required]
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the client secret, for confidential clients. Never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets how the client authenticates to the token endpoint.</summary>
    /// <value>The default value is <see cref="ClientAuthenticationMethod.Automatic"/>.</value>
    public ClientAuthenticationMethod ClientAuthentication { get; set; } = ClientAuthenticationMethod.Automatic;

    /// <summary>Gets or sets the space-separated scopes to request.</summary>
    public string? Scope { get; set; }

    /// <summary>
    /// Gets or sets the token endpoint. When not set, it comes from the authorization server's
    /// metadata (RFC 8414 <c>/.well-known/oauth-authorization-server</c>, then OpenID Connect
    /// <c>/.well-known/openid-configuration</c>), whose <c>issuer</c> must equal <see cref="Authority"/>.
    /// HTTPS is required except on loopback.
    /// </summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>Gets or sets the device authorization endpoint (RFC 8628 §3.1). When not set, from discovery.</summary>
    public Uri? DeviceAuthorizationEndpoint { get; set; }

    /// <summary>
    /// Gets or sets the revocation endpoint (RFC 7009) used on sign-out. When not set, from
    /// discovery — unless <see cref="TokenEndpoint"/> is set, which means discovery is not in use.
    /// </summary>
    public Uri? RevocationEndpoint { get; set; }

    /// <summary>
    /// Gets extra parameters of the device authorization request, such as <c>audience</c> or
    /// <c>resource</c>.
    /// </summary>
    public IDictionary<string, string> DeviceAuthorizationParameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets how long the discovery document is cached. A failed fetch is not cached.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan DiscoveryCacheDuration { get; set; } = DeviceAuthConstants.DiscoveryCacheDuration;

    /// <summary>
    /// Gets or sets the callback that shows the user code and verification URL during a device
    /// sign-in started with <see cref="DeviceAuthSession.SignInAsync(CancellationToken)"/> or on demand.
    /// </summary>
    public Func<OnDeviceCodeArguments, ValueTask>? OnDeviceCode { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a request that finds no usable tokens starts a
    /// device sign-in through <see cref="OnDeviceCode"/> (one for all waiting requests) instead of
    /// failing fast. Suited to interactive apps only.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the sign-in-required signal is raised and requests fail fast.</value>
    public bool SignInOnDemand { get; set; }

    /// <summary>
    /// Gets the origins (<c>https://host[:port]</c>) that receive the token and the device headers.
    /// Requests to any other origin pass through untouched: no token, no device headers, on every
    /// redirect hop too. HTTPS is required except on loopback. For clients attached to this
    /// session, the default of their <see cref="DeviceAuthClientOptions.AllowedOrigins"/>.
    /// </summary>
    /// <remarks>
    /// When the list is set, it is the whole list: the client's <see cref="HttpClient.BaseAddress"/>
    /// is not added, so list the API's own origin too. When it is empty, each client pins the
    /// origin of the first request it sends (HTTPS, or HTTP on loopback; the choice is logged once
    /// at Information) and sends the token there only, for the life of the application: with a
    /// <see cref="HttpClient.BaseAddress"/> set in a configure delegate or in a typed client's
    /// constructor, that is the API's origin. Of concurrent first requests to different origins,
    /// exactly one wins. Set the list when a client's first request may go elsewhere (an absolute
    /// URL to another service), or to have a mistake fail closed rather than trust the first use.
    /// </remarks>
    /// <value>The default value is empty: the origin of each client's first request.</value>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Gets or sets how long before expiry a background refresh starts while requests keep using
    /// the current token. The window used is never more than half the token's lifetime.
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan RefreshWindow { get; set; } = DeviceAuthConstants.RefreshWindow;

    /// <summary>
    /// Gets or sets how long before expiry a token counts as expired, so that requests wait for a
    /// new one (it covers clock skew and time in transit). Capped at a quarter of the token's lifetime.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ExpirySkew { get; set; } = DeviceAuthConstants.ExpirySkew;

    /// <summary>Gets or sets the lifetime assumed when a token response has no usable <c>expires_in</c>.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan DefaultTokenLifetime { get; set; } = DeviceAuthConstants.DefaultTokenLifetime;

    /// <summary>Gets or sets how long to wait after a failed background refresh before the next one.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RefreshRetryDelay { get; set; } = DeviceAuthConstants.RefreshRetryDelay;

    /// <summary>
    /// Gets or sets the request header that carries the token (e.g. <c>Proxy-Authorization</c>).
    /// Whatever its name, the token never reaches a redirect target on another origin: the handler
    /// follows redirects itself, hop by hop (as far as the client's primary handler would have:
    /// not at all when its <c>AllowAutoRedirect</c> is off, else up to its
    /// <c>MaxAutomaticRedirections</c>), removes this header and <c>Authorization</c> before each
    /// hop, and puts the token and the device headers back only while the request stays on
    /// allowed origins. A hop that leaves them carries neither, nor does any hop after it.
    /// For clients attached to this session, the default of their <see cref="DeviceAuthClientOptions.AuthorizationHeaderName"/>.
    /// </summary>
    /// <value>The default value is <c>Authorization</c>.</value>
    public string AuthorizationHeaderName { get; set; } = DeviceAuthConstants.AuthorizationHeaderName;

    /// <summary>
    /// Gets or sets the scheme written before the token. When not set, the token response's
    /// <c>token_type</c> is used (<c>Bearer</c> when absent).
    /// </summary>
    public string? AuthorizationScheme { get; set; }

    /// <summary>
    /// Gets or sets what a request gets when the user must sign in again. For clients attached to
    /// this session, the default of their <see cref="DeviceAuthClientOptions.SignInRequiredBehavior"/>.
    /// </summary>
    /// <value>The default value is <see cref="SignInRequiredBehavior.ReturnUnauthorizedResponse"/>.</value>
    public SignInRequiredBehavior SignInRequiredBehavior { get; set; } = SignInRequiredBehavior.ReturnUnauthorizedResponse;

    /// <summary>
    /// Gets or sets the callback for the sign-in-required signal: the session signed out and the user
    /// must sign in again. Called once per transition, before the requests that waited for the refresh resume; they wait for it at most 5 seconds.
    /// </summary>
    public Func<SignInRequiredEventArgs, ValueTask>? OnSignInRequired { get; set; }

    /// <summary>
    /// Gets or sets how <see cref="DeviceAuthSession.SignInAsync(CancellationToken)"/> and sign-in on
    /// demand sign the user in. <see cref="DeviceAuthSession.SignInAsync(SignInMethod, CancellationToken)"/> chooses for itself.
    /// </summary>
    /// <value>The default value is <see cref="SignInMethod.Automatic"/>: the browser when there is a display and the server supports it, else the device code.</value>
    public SignInMethod SignInMethod { get; set; } = SignInMethod.Automatic;

    /// <summary>Gets or sets the browser sign-in (<see cref="SignInMethod.Browser"/>): authorization endpoint, redirect listener, time-out and launcher.</summary>
    public BrowserSignInOptions Browser { get; set; } = new();

    /// <summary>Gets or sets the device headers sent with every request.</summary>
    public DeviceHeaderOptions DeviceHeaders { get; set; } = new();

    /// <summary>Gets or sets whether and how tokens are bound to a key of the session's (DPoP, RFC 9449).</summary>
    public DPoPOptions DPoP { get; set; } = new();

    /// <summary>
    /// Gets or sets the directory of the persisted device id and, with the default
    /// <see cref="FileTokenStore"/>, of the token files. Created owner-only on Unix, when first
    /// needed: with another store and an explicit <see cref="DeviceHeaderOptions.DeviceId"/> (or
    /// device headers off) it is never touched. A directory that cannot be written never fails
    /// client creation; the file store reports it as a <see cref="TokenStoreException"/> where it
    /// is used.
    /// </summary>
    /// <value>The default value is <c>AuthHandler</c> in the user's application-data directory (<c>~/.config/AuthHandler</c> on Linux).</value>
    public string? StorageDirectory { get; set; }

    /// <summary>
    /// Gets or sets how long a refresh waits for another process that holds the refresh lock
    /// (<see cref="FileRefreshLock"/>, the default with the file store) before it fails as transient.
    /// </summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan RefreshLockTimeout { get; set; } = DeviceAuthConstants.RefreshLockTimeout;

    /// <summary>Gets or sets the timeout of one attempt to call the token endpoint.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan BackchannelTimeout { get; set; } = DeviceAuthConstants.BackchannelTimeout;

    /// <summary>
    /// Gets or sets the longest <c>Retry-After</c> the back channel waits for before it tries a
    /// token-endpoint, discovery or revocation call again; it also caps the back-off between
    /// attempts. An answer that asks for a longer wait (a 503 with <c>Retry-After: 3600</c>) is
    /// not retried: the refresh ends at once with a transient <see cref="TokenEndpointException"/>
    /// whose <see cref="TokenEndpointException.RetryAfter"/> says when to try again, instead of
    /// holding every waiting request for the hour. One refresh therefore takes at most
    /// (<see cref="BackchannelMaxRetryAttempts"/> + 1) × <see cref="BackchannelTimeout"/> plus
    /// <see cref="BackchannelMaxRetryAttempts"/> × this value, plus the body read.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan BackchannelMaxRetryAfter { get; set; } = DeviceAuthConstants.BackchannelMaxRetryAfter;

    /// <summary>
    /// Gets or sets how many times a failed token-endpoint call is retried (exponential back-off
    /// with jitter from 1 s, honouring <c>Retry-After</c> up to <see cref="BackchannelMaxRetryAfter"/>). A refresh is retried only when the
    /// server cannot have redeemed the refresh token: the connection was refused, or it answered
    /// 429 or 503.
    /// </summary>
    /// <value>The default value is 2.</value>
    [Range(0, 10)]
    public int BackchannelMaxRetryAttempts { get; set; } = DeviceAuthConstants.BackchannelMaxRetryAttempts;
}
