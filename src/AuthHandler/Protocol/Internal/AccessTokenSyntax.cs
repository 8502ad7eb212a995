using System.Buffers;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// What may be put into an <c>Authorization</c> header as an access token, and which token types
/// the library implements. Used for server answers and for tokens the application or a store
/// hands over, because all of them end up on every API request (invariant 10).
/// </summary>
internal static class AccessTokenSyntax
{
    // RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    private static readonly SearchValues<char> TokenCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");

    /// <summary>
    /// Whether <paramref name="token"/> is an RFC 6750 §2.1 <c>b64token</c>: no space, control
    /// character or non-ASCII character can reach a header through it.
    /// </summary>
    public static bool IsValid(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var body = token.AsSpan().TrimEnd('=');
        return body.Length > 0 && !body.ContainsAnyExcept(TokenCharacters);
    }

    /// <summary>Whether the library implements <paramref name="type"/>: <c>Bearer</c>, case-insensitive (RFC 6749 §7.1, §5.1).</summary>
    public static bool IsSupportedType(string? type) => string.Equals(type, "Bearer", StringComparison.OrdinalIgnoreCase);
}
