using System.Text.Json;
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

    /// <summary>The <see cref="MovedTo"/> of tokens moved into the operating system's credential store (AuthHandler.CredentialStore).</summary>
    public const string MovedToCredentialStore = "credential_store";

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

    /// <summary>The OpenID Connect ID token; absent in entries written before it was kept, which still load.</summary>
    [JsonPropertyName("id_token")]
    public string? IdToken { get; set; }

    /// <summary>The DPoP private key the tokens are bound to (<see cref="TokenSet.DPoPKey"/>); absent for bearer tokens.</summary>
    [JsonPropertyName("dpop_key")]
    public string? DPoPKey { get; set; }

    /// <summary>The redemption marker (<see cref="TokenSet"/>): a refresh of these tokens may have been answered and the answer lost.</summary>
    [JsonPropertyName("redeeming")]
    public string? Redeeming { get; set; }

    /// <summary>
    /// True in a sign-out record: the entry that stays when a user signs out or the grant was
    /// rejected, so that a missing entry means the store lost its data, not that the user left.
    /// </summary>
    [JsonPropertyName("signed_out")]
    public bool? SignedOut { get; set; }

    /// <summary>
    /// In a moved record, where the tokens went (<see cref="MovedToCredentialStore"/>). A moved
    /// record is a sign-out record too (<see cref="SignedOut"/> is true), so that a version that
    /// does not know this field reads it as signed out, never as lost data it should write back.
    /// </summary>
    [JsonPropertyName("moved_to")]
    public string? MovedTo { get; set; }

    /// <summary>In a moved record, when the tokens were moved.</summary>
    [JsonPropertyName("moved_at")]
    [JsonConverter(typeof(StoredInstantConverter))]
    public DateTimeOffset? MovedAt { get; set; }

    /// <summary>Whether this is a sign-out record rather than tokens.</summary>
    [JsonIgnore]
    public bool IsSignOut => SignedOut == true && string.IsNullOrEmpty(AccessToken);

    /// <summary>Whether this is a moved record: no tokens here, they were moved to another store.</summary>
    [JsonIgnore]
    public bool IsMoved => IsSignOut && !string.IsNullOrEmpty(MovedTo);

    public static StoredTokens SignOut() => new() { SignedOut = true };

    /// <summary>
    /// The record a token file keeps once its tokens were moved into the credential store: no
    /// secret, read as no tokens (not lost), so that a process still on the file does not write
    /// back tokens that the credential store's holder may since have rotated (RFC 9700 §4.14).
    /// </summary>
    public static StoredTokens Moved(string movedTo, DateTimeOffset movedAt) => new() { SignedOut = true, MovedTo = movedTo, MovedAt = movedAt };

    public static StoredTokens From(TokenSet tokens) => new()
    {
        Redeeming = tokens.Redeeming,
        AccessToken = tokens.AccessToken,
        TokenType = tokens.TokenType,
        ExpiresAt = tokens.ExpiresAt,
        RefreshToken = tokens.RefreshToken,
        RefreshTokenExpiresAt = tokens.RefreshTokenExpiresAt,
        Scope = tokens.Scope,
        IssuedAt = tokens.IssuedAt,
        IdToken = tokens.IdToken,
        DPoPKey = tokens.DPoPKey,
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
            IdToken = string.IsNullOrEmpty(IdToken) ? null : IdToken,
            DPoPKey = string.IsNullOrEmpty(DPoPKey) ? null : DPoPKey,
            Redeeming = string.IsNullOrEmpty(Redeeming) ? null : Redeeming,
        };

    /// <summary>The entry this record stands for: tokens, a sign-out, or null when a required field is missing.</summary>
    public StoreEntry? ToEntry() =>
        IsMoved ? StoreEntry.MovedRecord(MovedAt ?? DateTimeOffset.MinValue)
        : IsSignOut ? StoreEntry.SignOutRecord
        : ToTokenSet() is { } tokens ? new StoreEntry(tokens, false) : null;

    /// <summary>
    /// Reads a stored record: tokens, a sign-out, or a non-transient <see cref="TokenStoreException"/>
    /// (the session signs out and leaves the entry for a new sign-in) when it is not JSON or lacks a
    /// required field. The message names the entry (<paramref name="entry"/>, e.g. "The token file
    /// …") and the position of a JSON error, never the content, which holds tokens.
    /// </summary>
    public static StoreEntry Read(ReadOnlySpan<byte> bytes, string entry)
    {
        StoredTokens? stored;
        try
        {
            stored = JsonSerializer.Deserialize(bytes, StoredTokensJsonContext.Default.StoredTokens);
        }
        catch (JsonException ex)
        {
            // The message of a JsonException can quote the content: keep only its position.
            throw new TokenStoreException($"{entry} is corrupted (invalid JSON at byte {ex.BytePositionInLine}, line {ex.LineNumber}); sign in again to replace it.");
        }

        return stored?.ToEntry()
            ?? throw new TokenStoreException($"{entry} has no access token or expiry; sign in again to replace it.");
    }

    public override string ToString() => $"StoredTokens {{ Version = {Version}, ExpiresAt = {ExpiresAt:O} }}";
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredTokens))]
internal sealed partial class StoredTokensJsonContext : JsonSerializerContext
{
}
