using System.Text;

namespace AuthHandler.Protocol.Internal;

internal static class Text
{
    /// <summary>
    /// Keeps printable ASCII (0x20–0x7E) only, trims, and cuts to <paramref name="maxLength"/>.
    /// Server-supplied text goes through this before it reaches a message or a header.
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
}
