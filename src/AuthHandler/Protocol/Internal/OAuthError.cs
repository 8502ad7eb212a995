namespace AuthHandler.Protocol.Internal;

/// <summary>An RFC 6749 §5.2 error answer.</summary>
internal sealed record OAuthError(string Code, string? Description)
{
    // RFC 6749 §5.2: the grant is invalid, expired, revoked or issued to another client.
    public bool IsGrantRejection => Code == OAuthErrorCodes.InvalidGrant;

    // RFC 6749 §5.2: errors that no retry and no new sign-in can fix; the client is misconfigured.
    public bool IsClientConfiguration => Code is OAuthErrorCodes.InvalidClient
        or OAuthErrorCodes.UnauthorizedClient
        or OAuthErrorCodes.UnsupportedGrantType
        or OAuthErrorCodes.InvalidRequest
        or OAuthErrorCodes.InvalidScope;

    /// <summary>The description, shortened and limited to printable ASCII, for messages.</summary>
    public string SafeDescription => Description is null ? string.Empty : Text.PrintableAscii(Description, 200);
}
