using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class TextTests
{
    [Theory]
    [InlineData("line\r\nforged", "lineforged")]
    [InlineData("esc\u001b[31mred", "esc[31mred")]
    [InlineData("bidi\u202Eevil\u202C", "bidievil")]
    [InlineData("zero\u200Bwidth", "zerowidth")]
    [InlineData("sep\u2028line\u2029para", "seplinepara")]
    [InlineData("  trimmed  ", "trimmed")]
    [InlineData("Schlüssel ungültig", "Schlüssel ungültig")]
    public void Sanitize_DropsControlFormatAndSeparatorCharacters_KeepsOtherText(string value, string expected)
    {
        Assert.Equal(expected, Text.Sanitize(value, 200));
    }

    [Fact]
    public void Sanitize_UnpairedSurrogate_IsDropped()
    {
        Assert.Equal("ab", Text.Sanitize("a\uD800b", 200));
    }

    [Fact]
    public void Sanitize_LongText_IsCutAtTheBoundWithAMark()
    {
        Assert.Equal("abc…", Text.Sanitize("abcdef", 3));
    }

    [Fact]
    public void Sanitize_CutAtASurrogatePair_NeverSplitsIt()
    {
        // "a" then U+1F600 (two UTF-16 units): a bound of 2 cannot hold both.
        Assert.Equal("a…", Text.Sanitize("a\U0001F600b", 2));
    }

    [Fact]
    public void PrintableAscii_KeepsOnlyPrintableAsciiWithinTheBound()
    {
        Assert.Equal("abc", Text.PrintableAscii("a\r\nb\u00e9c", 10));
        Assert.Equal("ab", Text.PrintableAscii("abcdef", 2));
    }

    [Fact]
    public void WithoutBom_StripsOnlyALeadingUtf8ByteOrderMark()
    {
        Assert.Equal("{}"u8.ToArray(), Text.WithoutBom([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']).ToArray());
        Assert.Equal("{}"u8.ToArray(), Text.WithoutBom("{}"u8).ToArray());
    }
}
