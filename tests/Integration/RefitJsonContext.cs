using System.Text.Json.Serialization;

namespace AuthHandler.Tests.Integration;

/// <summary>The JSON context a source-generated Refit client needs; the test API sends and reads no JSON.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class RefitJsonContext : JsonSerializerContext;
