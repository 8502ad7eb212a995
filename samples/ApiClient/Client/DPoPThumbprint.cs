using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ApiClient.Client;

/// <summary>RFC 7638 JWK thumbprints of P-256 keys: the public name of a DPoP key (RFC 9449 §6.1 <c>jkt</c>).</summary>
internal static class DPoPThumbprint
{
    /// <summary>The thumbprint of the public key with coordinates <paramref name="x"/> and <paramref name="y"/> (32 bytes each).</summary>
    public static string Of(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        // RFC 7638 §3.2: exactly the required members, in lexicographic order, no whitespace.
        var jwk = $$"""{"crv":"P-256","kty":"EC","x":"{{Base64Url.EncodeToString(x)}}","y":"{{Base64Url.EncodeToString(y)}}"}""";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(jwk)));
    }

    /// <summary>
    /// The thumbprint of a stored DPoP key (<see cref="AuthHandler.TokenSet.DPoPKey"/>: PKCS#8,
    /// base64url), or null when it is not one. The private key is read only to find its public
    /// half, and never leaves this method.
    /// </summary>
    public static string? OfStoredKey(string? stored)
    {
        if (string.IsNullOrEmpty(stored) || !Base64Url.IsValid(stored))
        {
            return null;
        }

        var der = Base64Url.DecodeFromChars(stored);
        try
        {
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(der, out _);
            var parameters = key.ExportParameters(includePrivateParameters: false);
            return parameters.Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value ? Of(parameters.Q.X, parameters.Q.Y) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }
}
