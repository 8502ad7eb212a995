using QRCoder;

namespace ApiClient.Output;

/// <summary>A QR code drawn with Unicode half blocks, two modules per character cell.</summary>
internal static class QrCode
{
    public static string Render(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.L);
        using var code = new AsciiQRCode(data);
        return code.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: Environment.NewLine) + Environment.NewLine;
    }
}
