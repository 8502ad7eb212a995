using System.Text.Json;
using System.Text.Json.Serialization;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// Reads a stored instant that may be malformed or outside what <see cref="DateTimeOffset"/> can
/// hold (<c>0001-01-01T00:00:00+05:00</c>; an entry edited by hand, tampered with, or written by
/// another tool) as <see cref="DateTimeOffset.MinValue"/>, "long ago": an expiry then reads as
/// expired and the session refreshes (invariant 12), where a strict reader would make the whole
/// entry unreadable and sign the user out.
/// </summary>
internal sealed class StoredInstantConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value))
        {
            return value;
        }

        // A number, an object or a string that is no ISO 8601 instant in range.
        reader.Skip();
        return DateTimeOffset.MinValue;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } instant)
        {
            writer.WriteStringValue(instant);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
