using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

public sealed class DPoPKeyTests
{
    [Fact]
    public void PublicJwk_NewKey_IsTheRfc7638MembersInOrderWithTheKeysCoordinates()
    {
        using var key = DPoPKey.Create();
        var parameters = PublicParameters(key);

        var expected = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + Base64Url.EncodeToString(parameters.Q.X)
            + "\",\"y\":\"" + Base64Url.EncodeToString(parameters.Q.Y) + "\"}";
        Assert.Equal(expected, Encoding.UTF8.GetString(key.PublicJwk.Span));
    }

    [Fact]
    public void Thumbprint_NewKey_EqualsTheHandBuiltRfc7638Thumbprint()
    {
        using var key = DPoPKey.Create();
        var parameters = PublicParameters(key);

        Assert.Equal(
            DPoPProofVerifier.EcThumbprint(Base64Url.EncodeToString(parameters.Q.X), Base64Url.EncodeToString(parameters.Q.Y)),
            key.Thumbprint);
    }

    [Fact]
    public void EcThumbprint_Rfc9449ExampleKey_IsTheJktTheRfcGives()
    {
        // RFC 9449 §4.2 Figure 4's key; §6.1 Figure 7 gives its thumbprint as cnf.jkt. This checks
        // the hand-built canonical JSON the test above compares the key's thumbprint with.
        var thumbprint = DPoPProofVerifier.EcThumbprint(
            "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA");

        Assert.Equal("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", thumbprint);
    }

    [Fact]
    public void Create_TwoKeys_HaveDifferentThumbprints()
    {
        using var first = DPoPKey.Create();
        using var second = DPoPKey.Create();

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public async Task TryImport_ExportedKey_SignsProofsThatVerifyWithTheSameThumbprint()
    {
        using var original = DPoPKey.Create();
        var stored = original.ExportPrivateKey();

        Assert.True(DPoPKey.TryImport(stored, out var imported, out var error));
        using (imported)
        {
            Assert.Equal(DPoPKeyImportError.None, error);
            Assert.Equal(original.Thumbprint, imported.Thumbprint);
            Assert.Equal(original.PublicJwk.ToArray(), imported.PublicJwk.ToArray());

            var proof = await DPoPProofVerifier.VerifyAsync(
                new DPoPProofWriter(imported, new FakeTimeProvider()).CreateProof(HttpMethod.Get, new Uri("https://api.example.com/items")));
            Assert.Equal(Encoding.UTF8.GetString(original.PublicJwk.Span), CompactJson(proof.JwkJson));
        }
    }

    [Fact]
    public void ExportPrivateKey_IsBase64UrlPkcs8OfAP256Key()
    {
        using var key = DPoPKey.Create();

        var der = Base64Url.DecodeFromChars(key.ExportPrivateKey());

        using var check = ECDsa.Create();
        check.ImportPkcs8PrivateKey(der, out var read);
        Assert.Equal(der.Length, read);
        Assert.Equal("1.2.840.10045.3.1.7", check.ExportParameters(false).Curve.Oid.Value);
    }

    [Fact]
    public void ToString_NewKey_HasNeitherTheStoredFormNorThePrivateScalar()
    {
        using var key = DPoPKey.Create();
        var stored = key.ExportPrivateKey();
        using var check = ECDsa.Create();
        check.ImportPkcs8PrivateKey(Base64Url.DecodeFromChars(stored), out _);
        var d = Base64Url.EncodeToString(check.ExportParameters(true).D);

        var text = key.ToString();

        Assert.DoesNotContain(stored, text, StringComparison.Ordinal);
        Assert.DoesNotContain(d, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(check.ExportParameters(true).D!), text, StringComparison.Ordinal);
        Assert.Contains(key.Thumbprint, text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, string> CorruptedKeys()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = key.ExportPkcs8PrivateKey();
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        var flipped = (byte[])der.Clone();
        flipped[10] ^= 0xFF;

        return new()
        {
            { "null", null, nameof(DPoPKeyImportError.NotBase64Url) },
            { "empty", string.Empty, nameof(DPoPKeyImportError.NotBase64Url) },
            { "not base64url", "not base64url!", nameof(DPoPKeyImportError.NotBase64Url) },
            { "standard base64 with padding and +/", Convert.ToBase64String(der) + "+/==", nameof(DPoPKeyImportError.NotBase64Url) },
            { "random bytes", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(138)), nameof(DPoPKeyImportError.NotPkcs8) },
            { "truncated", Base64Url.EncodeToString(der.AsSpan(0, der.Length - 20)), nameof(DPoPKeyImportError.NotPkcs8) },
            { "trailing bytes", Base64Url.EncodeToString([.. der, 0, 0, 0]), nameof(DPoPKeyImportError.NotPkcs8) },
            { "flipped structure byte", Base64Url.EncodeToString(flipped), nameof(DPoPKeyImportError.NotPkcs8) },
            { "P-384 key", Base64Url.EncodeToString(p384.ExportPkcs8PrivateKey()), nameof(DPoPKeyImportError.WrongCurve) },
            { "RSA key", Base64Url.EncodeToString(rsa.ExportPkcs8PrivateKey()), nameof(DPoPKeyImportError.NotPkcs8) },
        };
    }

    [Theory]
    [MemberData(nameof(CorruptedKeys))]
    public void TryImport_CorruptedKey_ReturnsTheTypedErrorAndNoKey(string name, string? stored, string expected)
    {
        _ = name;

        var imported = DPoPKey.TryImport(stored, out var key, out var error);

        Assert.False(imported);
        Assert.Null(key);
        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public void TryImport_PublicPointOfAnotherKey_FailsWithATypedError()
    {
        // Storage damage that leaves a well-formed PKCS#8: the private scalar of one key with the
        // public point of another. Proofs from it would never verify (RFC 9449 §4.3).
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = first.ExportPkcs8PrivateKey();
        var firstPoint = UncompressedPoint(first);
        var at = der.AsSpan().IndexOf(firstPoint);
        Assert.True(at > 0, "The PKCS#8 export carries its public point.");
        UncompressedPoint(second).CopyTo(der, at);

        var imported = DPoPKey.TryImport(Base64Url.EncodeToString(der), out var key, out var error);

        Assert.False(imported);
        Assert.Null(key);
        Assert.Contains(error, new[] { DPoPKeyImportError.NotPkcs8, DPoPKeyImportError.Inconsistent });
    }

    private static ECParameters PublicParameters(DPoPKey key)
    {
        using var check = ECDsa.Create();
        check.ImportPkcs8PrivateKey(Base64Url.DecodeFromChars(key.ExportPrivateKey()), out _);
        return check.ExportParameters(false);
    }

    private static byte[] UncompressedPoint(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    private static string CompactJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement);
    }
}
