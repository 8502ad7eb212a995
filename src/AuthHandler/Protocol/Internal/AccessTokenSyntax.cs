namespace AuthHandler.Protocol.Internal;

/// <summary>
/// What an access token and its type must look like before they go into a header
/// (invariant 10): a token that fails these checks is never sent.
/// </summary>
internal static class AccessTokenSyntax
{
    /// <summary>
    /// RFC 6750 §2.1: <c>b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="</c>
    /// (RFC 7235's token68). Excludes spaces, control characters and non-ASCII, so a token can
    /// neither inject a header nor make every request throw.
    /// </summary>
    public static bool IsValid(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var end = token.Length;
        while (end > 0 && token[end - 1] == '=')
        {
            end--;
        }

        if (end == 0)
        {
            return false;
        }

        foreach (var c in token.AsSpan(0, end))
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// RFC 6749 §7.1: the client must understand the token type to use the token. Only
    /// <c>Bearer</c> (RFC 6750, case-insensitive) is implemented.
    /// </summary>
    public static bool IsSupportedType(string? type) => string.Equals(type, "Bearer", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 9449 §5: the token type of a DPoP-bound access token (case-insensitive, RFC 6749 §5.1).</summary>
    public static bool IsDPoPType(string? type) => string.Equals(type, "DPoP", StringComparison.OrdinalIgnoreCase);
}
