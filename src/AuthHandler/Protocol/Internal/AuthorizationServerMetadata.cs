namespace AuthHandler.Protocol.Internal;

/// <summary>The endpoints of RFC 8414 / OpenID Connect Discovery that this library uses.</summary>
internal sealed record AuthorizationServerMetadata(
    string Issuer,
    Uri? TokenEndpoint,
    Uri? DeviceAuthorizationEndpoint,
    Uri? RevocationEndpoint)
{
    /// <summary>The authorization endpoint (RFC 6749 §3.1), for the browser sign-in.</summary>
    public Uri? AuthorizationEndpoint { get; init; }

    /// <summary><c>code_challenge_methods_supported</c> (RFC 8414 §2); null when not advertised.</summary>
    public IReadOnlyList<string>? CodeChallengeMethods { get; init; }

    /// <summary><c>authorization_response_iss_parameter_supported</c> (RFC 9207 §3).</summary>
    public bool IssParameterSupported { get; init; }
}
