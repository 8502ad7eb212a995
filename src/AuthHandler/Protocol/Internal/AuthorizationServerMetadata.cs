namespace AuthHandler.Protocol.Internal;

/// <summary>The endpoints of RFC 8414 / OpenID Connect Discovery that this library uses.</summary>
internal sealed record AuthorizationServerMetadata(
    string Issuer,
    Uri? TokenEndpoint,
    Uri? DeviceAuthorizationEndpoint,
    Uri? RevocationEndpoint);
