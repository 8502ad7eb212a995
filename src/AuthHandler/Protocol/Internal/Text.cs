using System.Globalization;
using System.Text;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Server-supplied text on its way to a header, a message, a log record or a property
/// (invariant 10): stripped of what could forge a line or hide text, and bounded in length.
/// </summary>
internal static class Text
{
    /// <summary>The longest OAuth <c>error</c> code kept (RFC 6749 §5.2 codes are short ASCII words).</summary>
    public const int MaxCodeLength = 64;

    /// <summary>The longest server description kept for a message.</summary>
    public const int MaxDescriptionLength = 200;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Keeps printable ASCII (0x20–0x7E) only, trims, and cuts to <paramref name="maxLength"/>.
    /// For codes and header values.
    /// </summary>
    public static string PrintableAscii(string value, int maxLength)
    {
        var builder = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (var c in value)
        {
            if (builder.Length == maxLength)
            {
                break;
            }

            if (c is >= ' ' and <= '~')
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Trim();
    }

    /// <summary>
    /// Free text (an <c>error_description</c>): drops control characters (CR, LF, ESC…), format
    /// characters (bidirectional overrides, zero-width marks), line and paragraph separators and
    /// unpaired surrogates; keeps other Unicode text; trims; cuts to <paramref name="maxLength"/>
    /// UTF-16 units, never inside a surrogate pair, and marks a cut with "…".
    /// </summary>
    public static string Sanitize(string value, int maxLength)
    {
        var builder = new StringBuilder(Math.Min(value.Length, maxLength + 1));
        var index = 0;
        var cut = false;
        while (index < value.Length)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(index), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                index += consumed == 0 ? 1 : consumed;
                continue;
            }

            index += consumed;
            if (!IsShown(rune))
            {
                continue;
            }

            if (builder.Length + rune.Utf16SequenceLength > maxLength)
            {
                cut = true;
                break;
            }

            builder.Append(rune.ToString());
        }

        var text = builder.ToString().Trim();
        return cut ? text + "…" : text;
    }

    /// <summary>The JSON body without a leading UTF-8 byte-order mark, which some servers send.</summary>
    public static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> body) =>
        body.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body;

    private static bool IsShown(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned => false,
        _ => true,
    };
}
