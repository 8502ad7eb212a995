using System.Globalization;
using System.Text.Json;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Reads token endpoint answers: a token response (RFC 6749 §5.1) or an error (§5.2). Lenient
/// about optional fields — a rotated refresh token must not be thrown away because of a
/// malformed <c>expires_in</c> — and strict about the one required field, <c>access_token</c>.
/// </summary>
internal static class TokenResponseParser
{
    // Lifetimes beyond this are treated as this; it keeps DateTimeOffset arithmetic in range.
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static TokenParseResult Parse(ReadOnlySpan<byte> body)
    {
        string? accessToken = null, tokenType = null, refreshToken = null, scope = null;
        string? error = null, errorDescription = null;
        TimeSpan? expiresIn = null, refreshExpiresIn = null;

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return TokenParseResult.Invalid("the body is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "access_token": accessToken = ReadString(ref reader); break;
                    case "token_type": tokenType = ReadString(ref reader); break;
                    case "refresh_token": refreshToken = ReadString(ref reader); break;
                    case "scope": scope = ReadString(ref reader); break;
                    case "expires_in": expiresIn = ReadLifetime(ref reader); break;
                    case "refresh_expires_in" or "refresh_token_expires_in": refreshExpiresIn = ReadLifetime(ref reader); break;
                    case "error": error = ReadString(ref reader); break;
                    case "error_description": errorDescription = ReadString(ref reader); break;
                    default: reader.Skip(); break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return TokenParseResult.Invalid("the body is not a single JSON object");
            }
        }
        catch (JsonException)
        {
            return TokenParseResult.Invalid("the body is not valid JSON");
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 inside a string value.
            return TokenParseResult.Invalid("the body is not valid JSON");
        }

        if (!string.IsNullOrEmpty(error))
        {
            return TokenParseResult.FromError(new OAuthError(error, errorDescription));
        }

        if (string.IsNullOrEmpty(accessToken))
        {
            return TokenParseResult.Invalid("the response has no access_token");
        }

        return TokenParseResult.FromTokens(new TokenResponse
        {
            AccessToken = accessToken,
            TokenType = NormalizeTokenType(tokenType),
            ExpiresIn = expiresIn,
            RefreshToken = string.IsNullOrEmpty(refreshToken) ? null : refreshToken,
            RefreshTokenExpiresIn = refreshExpiresIn,
            Scope = string.IsNullOrEmpty(scope) ? null : scope,
        });
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    // RFC 6749 §5.1 says seconds as a number; servers also send strings and fractions. A value
    // that is not a positive finite number counts as absent, so the default lifetime applies.
    private static TimeSpan? ReadLifetime(ref Utf8JsonReader reader)
    {
        double seconds;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDouble(out seconds):
                break;
            case JsonTokenType.String when double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out seconds):
                break;
            default:
                reader.Skip();
                return null;
        }

        if (!double.IsFinite(seconds) || seconds < 1)
        {
            return null;
        }

        return seconds >= MaxLifetime.TotalSeconds ? MaxLifetime : TimeSpan.FromSeconds(Math.Floor(seconds));
    }

    // RFC 6749 §5.1: token_type is case-insensitive; "bearer" is sent as the scheme "Bearer".
    private static string? NormalizeTokenType(string? tokenType) =>
        string.Equals(tokenType, "bearer", StringComparison.OrdinalIgnoreCase) ? "Bearer" : tokenType;
}

internal readonly struct TokenParseResult
{
    private TokenParseResult(TokenResponse? tokens, OAuthError? error, string? invalidReason)
    {
        Tokens = tokens;
        Error = error;
        InvalidReason = invalidReason;
    }

    public TokenResponse? Tokens { get; }

    public OAuthError? Error { get; }

    public string? InvalidReason { get; }

    public static TokenParseResult FromTokens(TokenResponse tokens) => new(tokens, null, null);

    public static TokenParseResult FromError(OAuthError error) => new(null, error, null);

    public static TokenParseResult Invalid(string reason) => new(null, null, reason);
}
