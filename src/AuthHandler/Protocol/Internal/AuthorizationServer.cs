namespace AuthHandler.Protocol.Internal;

/// <summary>Where the endpoints come from: explicit options first, then discovery.</summary>
internal sealed class AuthorizationServer
{
    private readonly string _authority;
    private readonly Uri? _tokenEndpoint;
    private readonly Uri? _deviceAuthorizationEndpoint;
    private readonly Uri? _revocationEndpoint;
    private readonly DiscoveryClient _discovery;

    /// <summary>Gets the explicit authorization endpoint (<see cref="BrowserSignInOptions.AuthorizationEndpoint"/>), if any.</summary>
    public Uri? AuthorizationEndpoint { get; init; }

    public AuthorizationServer(string authority, Uri? tokenEndpoint, Uri? deviceAuthorizationEndpoint, Uri? revocationEndpoint, DiscoveryClient discovery)
    {
        _authority = authority;
        _tokenEndpoint = tokenEndpoint;
        _deviceAuthorizationEndpoint = deviceAuthorizationEndpoint;
        _revocationEndpoint = revocationEndpoint;
        _discovery = discovery;
    }

    public async ValueTask<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken) =>
        _tokenEndpoint
        ?? (await _discovery.GetAsync(_authority, cancellationToken).ConfigureAwait(false)).TokenEndpoint
        ?? throw new DiscoveryException($"The discovery document of {_authority} has no token_endpoint; set TokenEndpoint.", isTransient: false);

    public async ValueTask<Uri> GetDeviceAuthorizationEndpointAsync(CancellationToken cancellationToken) =>
        _deviceAuthorizationEndpoint
        ?? (await _discovery.GetAsync(_authority, cancellationToken).ConfigureAwait(false)).DeviceAuthorizationEndpoint
        ?? throw new DiscoveryException($"The discovery document of {_authority} has no device_authorization_endpoint; set DeviceAuthorizationEndpoint.", isTransient: false);

    /// <summary>
    /// The revocation endpoint, or null when there is none: not advertised, or not configured
    /// while the token endpoint is (an explicit token endpoint means discovery is not in use).
    /// </summary>
    public async ValueTask<Uri?> GetRevocationEndpointAsync(CancellationToken cancellationToken) =>
        _revocationEndpoint ?? (_tokenEndpoint is not null
            ? null
            : (await _discovery.GetAsync(_authority, cancellationToken).ConfigureAwait(false)).RevocationEndpoint);

    /// <summary>
    /// The server's DPoP signing algorithms (RFC 9449 §5.1), or null when it names none or
    /// discovery is not in use (explicit endpoints, as for the revocation endpoint).
    /// </summary>
    public async ValueTask<IReadOnlyList<string>?> GetDPoPSigningAlgorithmsAsync(CancellationToken cancellationToken) =>
        _tokenEndpoint is not null
            ? null
            : (await _discovery.GetAsync(_authority, cancellationToken).ConfigureAwait(false)).DPoPSigningAlgorithms;

    /// <summary>
    /// The browser sign-in's endpoint and what the server says about it; null when there is no
    /// authorization endpoint. The explicit endpoint wins; discovery is still read for S256 and
    /// RFC 9207 unless the token endpoint is explicit too (then discovery is not in use).
    /// </summary>
    public async ValueTask<AuthorizationEndpointInfo?> GetAuthorizationEndpointAsync(CancellationToken cancellationToken)
    {
        var metadata = AuthorizationEndpoint is not null && _tokenEndpoint is not null
            ? null
            : await _discovery.GetAsync(_authority, cancellationToken).ConfigureAwait(false);
        var endpoint = AuthorizationEndpoint ?? metadata?.AuthorizationEndpoint;
        return endpoint is null
            ? null
            : new AuthorizationEndpointInfo(
                endpoint,
                metadata?.Issuer ?? _authority,
                metadata?.CodeChallengeMethods is not { } methods || methods.Contains("S256", StringComparer.Ordinal),
                metadata?.IssParameterSupported == true);
    }
}
