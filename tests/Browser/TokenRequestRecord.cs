namespace AuthHandler.Tests.Browser;

/// <summary>
/// One token request and what the server found: whether its redirect_uri equalled the authorization
/// request's and whether PKCE verified (null when not checked), and the error it answered (null when tokens were issued).
/// </summary>
internal sealed record TokenRequestRecord(string GrantType, string ClientId, bool? RedirectUriMatched, bool? PkceVerified, string? Error);
