namespace AuthHandler.Protocol.Internal;

/// <summary>The fields of RFC 8414 / OpenID Connect Discovery that this library uses.</summary>
/// <param name="Issuer">The <c>issuer</c>, which must equal the authority.</param>
/// <param name="TokenEndpoint">The <c>token_endpoint</c>, if any.</param>
/// <param name="DeviceAuthorizationEndpoint">The <c>device_authorization_endpoint</c>, if any.</param>
/// <param name="RevocationEndpoint">The <c>revocation_endpoint</c>, if any.</param>
/// <param name="DPoPSigningAlgorithms">RFC 9449 §5.1 <c>dpop_signing_alg_values_supported</c>, validated; null when absent.</param>
internal sealed record AuthorizationServerMetadata(
    string Issuer,
    Uri? TokenEndpoint,
    Uri? DeviceAuthorizationEndpoint,
    Uri? RevocationEndpoint,
    IReadOnlyList<string>? DPoPSigningAlgorithms = null)
{
    /// <summary>The authorization endpoint (RFC 6749 §3.1), for the browser sign-in.</summary>
    public Uri? AuthorizationEndpoint { get; init; }

    /// <summary><c>code_challenge_methods_supported</c> (RFC 8414 §2); null when not advertised.</summary>
    public IReadOnlyList<string>? CodeChallengeMethods { get; init; }

    /// <summary><c>authorization_response_iss_parameter_supported</c> (RFC 9207 §3).</summary>
    public bool IssParameterSupported { get; init; }
}
