using System.Text.Json.Serialization;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// The token format of <see cref="FileTokenStore"/>, and of AuthHandler.Redis before it
/// protects the value. Unknown fields are ignored and every field but the access token and its
/// expiry is optional, so entries written by newer or older versions still load. An instant that
/// cannot be read counts as long past (see <see cref="StoredInstantConverter"/>).
/// </summary>
internal sealed class StoredTokens
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("version")]
    public int Version { get; set; } = CurrentVersion;

    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("token_type")]
    public string? TokenType { get; set; }

    [JsonPropertyName("expires_at")]
    [JsonConverter(typeof(StoredInstantConverter))]
    public DateTimeOffset? ExpiresAt { get; set; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; set; }

    [JsonPropertyName("refresh_token_expires_at")]
    [JsonConverter(typeof(StoredInstantConverter))]
    public DateTimeOffset? RefreshTokenExpiresAt { get; set; }

    [JsonPropertyName("scope")]
    public string? Scope { get; set; }

    [JsonPropertyName("issued_at")]
    [JsonConverter(typeof(StoredInstantConverter))]
    public DateTimeOffset? IssuedAt { get; set; }

    public static StoredTokens From(TokenSet tokens) => new()
    {
        AccessToken = tokens.AccessToken,
        TokenType = tokens.TokenType,
        ExpiresAt = tokens.ExpiresAt,
        RefreshToken = tokens.RefreshToken,
        RefreshTokenExpiresAt = tokens.RefreshTokenExpiresAt,
        Scope = tokens.Scope,
        IssuedAt = tokens.IssuedAt,
    };

    /// <summary>The token set, or null when a required field is missing.</summary>
    public TokenSet? ToTokenSet() => string.IsNullOrEmpty(AccessToken) || ExpiresAt is null
        ? null
        : new TokenSet(AccessToken, ExpiresAt.Value)
        {
            TokenType = string.IsNullOrEmpty(TokenType) ? "Bearer" : TokenType,
            RefreshToken = string.IsNullOrEmpty(RefreshToken) ? null : RefreshToken,
            RefreshTokenExpiresAt = RefreshTokenExpiresAt,
            Scope = Scope,
            IssuedAt = IssuedAt,
        };

    public override string ToString() => $"StoredTokens {{ Version = {Version}, ExpiresAt = {ExpiresAt:O} }}";
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredTokens))]
internal sealed partial class StoredTokensJsonContext : JsonSerializerContext
{
}
