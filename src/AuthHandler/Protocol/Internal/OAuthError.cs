namespace AuthHandler.Protocol.Internal;

/// <summary>
/// An RFC 6749 §5.2 error answer, sanitised when it is read: the code is printable ASCII of at
/// most <see cref="Text.MaxCodeLength"/> characters and the description has no control or format
/// characters and at most <see cref="Text.MaxDescriptionLength"/>, so both are safe in messages,
/// logs and exception properties.
/// </summary>
internal sealed record OAuthError
{
    private OAuthError(string code, string? description)
    {
        Code = code;
        Description = description;
    }

    public string Code { get; }

    /// <summary>The server's description, sanitised; null when it sent none (or nothing printable).</summary>
    public string? Description { get; }

    // RFC 6749 §5.2: the grant is invalid, expired, revoked or issued to another client.
    public bool IsGrantRejection => Code == OAuthErrorCodes.InvalidGrant;

    // RFC 6749 §5.2: errors that no retry and no new sign-in can fix; the client is misconfigured.
    public bool IsClientConfiguration => Code is OAuthErrorCodes.InvalidClient
        or OAuthErrorCodes.UnauthorizedClient
        or OAuthErrorCodes.UnsupportedGrantType
        or OAuthErrorCodes.InvalidRequest
        or OAuthErrorCodes.InvalidScope;

    /// <summary>" (description)" for a message, or empty.</summary>
    public string DescriptionSuffix => Description is null ? string.Empty : $" ({Description})";

    /// <summary>The error as the server sent it, sanitised; null when the code has nothing printable left.</summary>
    public static OAuthError? FromServer(string? code, string? description)
    {
        var safeCode = code is null ? string.Empty : Text.PrintableAscii(code, Text.MaxCodeLength);
        if (safeCode.Length == 0)
        {
            return null;
        }

        var safeDescription = description is null ? string.Empty : Text.Sanitize(description, Text.MaxDescriptionLength);
        return new OAuthError(safeCode, safeDescription.Length == 0 ? null : safeDescription);
    }
}
