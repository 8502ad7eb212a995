using System.Text.Json.Serialization;

namespace AuthHandler.Fleet;

/// <summary>An RFC 6749 §5.2 error response.</summary>
internal sealed record OAuthErrorResponse(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);
