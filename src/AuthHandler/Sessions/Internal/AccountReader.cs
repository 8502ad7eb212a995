using System.Buffers.Text;
using System.Text.Json;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// Describes a stored sign-in: the display claims of its ID token, decoded but not validated
/// (see <see cref="SignedInAccount"/> for why that is enough for display), and what the token set
/// says. Never throws for a malformed ID token: that account just has no claims.
/// </summary>
internal static class AccountReader
{
    /// <summary>The longest claim value kept; display names and e-mail addresses are far shorter.</summary>
    public const int MaxClaimLength = 256;

    private static readonly char[] ScopeSeparators = [' '];

    public static SignedInAccount Describe(TokenSet tokens)
    {
        var claims = ReadClaims(tokens.IdToken);
        return new SignedInAccount
        {
            Subject = claims?.Subject,
            Issuer = claims?.Issuer,
            Name = claims?.Name,
            PreferredUsername = claims?.PreferredUsername,
            Email = claims?.Email,

            // RFC 6749 §3.3: space-delimited scope tokens.
            Scopes = tokens.Scope?.Split(ScopeSeparators, StringSplitOptions.RemoveEmptyEntries) ?? [],
            AccessTokenExpiresAt = tokens.ExpiresAt,
            HasRefreshToken = tokens.RefreshToken is not null,
            RefreshTokenExpiresAt = tokens.RefreshTokenExpiresAt,
        };
    }

    /// <summary>
    /// The claims of a compact JWS (RFC 7515 §7.1: header.payload.signature, each base64url),
    /// or null when <paramref name="idToken"/> is absent or not one. The signature is not checked.
    /// </summary>
    public static IdTokenClaims? ReadClaims(string? idToken)
    {
        if (string.IsNullOrEmpty(idToken))
        {
            return null;
        }

        var first = idToken.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : idToken.IndexOf('.', first + 1);
        if (second < 0 || idToken.IndexOf('.', second + 1) >= 0)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(idToken.AsSpan(first + 1, second - first - 1));
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            return root.ValueKind != JsonValueKind.Object
                ? null
                : new IdTokenClaims(Claim(root, "sub"), Claim(root, "iss"), Claim(root, "name"), Claim(root, "preferred_username"), Claim(root, "email"));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Not base64url, or not JSON: an account without claims, never an exception.
            return null;
        }
    }

    /// <summary>A string claim, sanitised for display (invariant 10); anything else counts as absent.</summary>
    private static string? Claim(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && Text.Sanitize(value.GetString()!, MaxClaimLength) is { Length: > 0 } text
            ? text
            : null;
}
