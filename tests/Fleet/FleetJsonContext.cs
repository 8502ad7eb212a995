using System.Text.Json.Serialization;

namespace AuthHandler.Fleet;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(OAuthErrorResponse))]
[JsonSerializable(typeof(WorkerLine))]
[JsonSerializable(typeof(FleetReport))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;
