using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Reads token endpoint answers: a token response (RFC 6749 §5.1) or an error (§5.2). Lenient
/// about optional fields — a rotated refresh token must not be thrown away because of a
/// malformed <c>expires_in</c> — and strict about what reaches a header (invariant 10): the
/// <c>access_token</c> must be an RFC 6750 b64token and the <c>token_type</c> one we implement.
/// An answer rejected for those reasons still reports its <c>refresh_token</c>, because the
/// server may have spent the old one.
/// </summary>
internal static class TokenResponseParser
{
    private const int MaxScopeLength = 4096;

    // An ID token is a compact JWS (OIDC Core §2): base64url parts joined by dots. Kept for
    // display only, so a larger one, or one with other characters, is dropped rather than stored.
    private const int MaxIdTokenLength = 16 * 1024;

    private static readonly SearchValues<char> IdTokenCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    // Lifetimes beyond this are treated as this; it keeps DateTimeOffset arithmetic in range.
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static TokenParseResult Parse(ReadOnlySpan<byte> body)
    {
        string? accessToken = null, tokenType = null, refreshToken = null, scope = null, idToken = null;
        string? error = null, errorDescription = null;
        TimeSpan? expiresIn = null, refreshExpiresIn = null;

        try
        {
            var reader = new Utf8JsonReader(Text.WithoutBom(body), new JsonReaderOptions { MaxDepth = 16 });
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
                    case "id_token": idToken = ReadString(ref reader); break;
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
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: invalid UTF-8 inside a string value. A refresh token read
            // whole before the body broke off is kept: the server has issued it, so the old one may be spent.
            return TokenParseResult.Invalid("the body is not valid JSON", error is null ? refreshToken : null);
        }

        if (OAuthError.FromServer(error, errorDescription) is { } oauthError)
        {
            return TokenParseResult.FromError(oauthError);
        }

        refreshToken = string.IsNullOrEmpty(refreshToken) ? null : refreshToken;
        if (string.IsNullOrEmpty(accessToken))
        {
            return TokenParseResult.Invalid("the response has no access_token", refreshToken);
        }

        if (!AccessTokenSyntax.IsValid(accessToken))
        {
            return TokenParseResult.Invalid("the access_token is not an RFC 6750 b64token (it has spaces, control or non-ASCII characters)", refreshToken);
        }

        // RFC 6749 §5.1 makes token_type required; an absent one is taken as Bearer, which is what
        // the servers that omit it issue. §7.1: a type we do not implement cannot be used. DPoP
        // (RFC 9449 §5) is read here; whether it fits the request is the client's decision.
        var isDPoP = AccessTokenSyntax.IsDPoPType(tokenType);
        if (!string.IsNullOrEmpty(tokenType) && !isDPoP && !AccessTokenSyntax.IsSupportedType(tokenType))
        {
            return TokenParseResult.Invalid($"the token_type '{Text.PrintableAscii(tokenType, 32)}' is not supported (only Bearer and DPoP)", refreshToken);
        }

        return TokenParseResult.FromTokens(new TokenResponse
        {
            AccessToken = accessToken,
            TokenType = isDPoP ? "DPoP" : "Bearer",
            ExpiresIn = expiresIn,
            RefreshToken = refreshToken,
            RefreshTokenExpiresIn = refreshExpiresIn,
            Scope = Scope(scope),
            IdToken = IdToken(idToken),
        });
    }

    // RFC 6749 §3.3: scope tokens are printable ASCII separated by spaces.
    private static string? Scope(string? scope)
    {
        var safe = scope is null ? string.Empty : Text.PrintableAscii(scope, MaxScopeLength);
        return safe.Length == 0 ? null : safe;
    }

    // Invariant 10: only what a compact JWS can hold is stored (base64url parts joined by dots).
    private static string? IdToken(string? idToken) =>
        idToken is { Length: > 0 and <= MaxIdTokenLength } && idToken.AsSpan().IndexOfAnyExcept(IdTokenCharacters) < 0 ? idToken : null;

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
}

internal readonly struct TokenParseResult
{
    private TokenParseResult(TokenResponse? tokens, OAuthError? error, string? invalidReason, string? refreshToken)
    {
        Tokens = tokens;
        Error = error;
        InvalidReason = invalidReason;
        IssuedRefreshToken = refreshToken;
    }

    public TokenResponse? Tokens { get; }

    public OAuthError? Error { get; }

    public string? InvalidReason { get; }

    /// <summary>The refresh token of an answer that is unusable otherwise (see <see cref="InvalidReason"/>).</summary>
    public string? IssuedRefreshToken { get; }

    public static TokenParseResult FromTokens(TokenResponse tokens) => new(tokens, null, null, null);

    public static TokenParseResult FromError(OAuthError error) => new(null, error, null, null);

    public static TokenParseResult Invalid(string reason, string? refreshToken = null) => new(null, null, reason, refreshToken);

    public override string ToString() => $"TokenParseResult {{ Tokens = {Tokens is not null}, Error = {Error?.Code}, InvalidReason = {InvalidReason} }}";
}
