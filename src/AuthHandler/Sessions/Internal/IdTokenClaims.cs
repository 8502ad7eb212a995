namespace AuthHandler.Sessions.Internal;

/// <summary>The display claims of an ID token (OIDC Core §5.1), sanitised; any of them may be absent.</summary>
internal sealed record IdTokenClaims(string? Subject, string? Issuer, string? Name, string? PreferredUsername, string? Email);
