using System.Text.Json.Serialization;

namespace AuthHandler.Storage.Internal;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RedisStoredTokens))]
internal sealed partial class RedisStoredTokensJsonContext : JsonSerializerContext
{
}
