using System.Text.Json.Serialization;

namespace AuthHandler.Soak;

/// <summary>An RFC 6749 §5.1 token response.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string RefreshToken);

/// <summary>An RFC 6749 §5.2 error response.</summary>
internal sealed record OAuthErrorResponse([property: JsonPropertyName("error")] string Error);

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(OAuthErrorResponse))]
internal sealed partial class SoakJsonContext : JsonSerializerContext;
