namespace AuthHandler.Protocol.Internal;

/// <summary>The authorization endpoint, the issuer an RFC 9207 <c>iss</c> must equal, whether PKCE S256 is allowed and whether <c>iss</c> is required.</summary>
internal sealed record AuthorizationEndpointInfo(Uri Endpoint, string Issuer, bool AllowsS256, bool RequiresIss);
