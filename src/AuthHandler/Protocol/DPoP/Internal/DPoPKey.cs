using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;

namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// The client's DPoP key pair (RFC 9449): ES256, an ECDSA key on P-256 (RFC 7518 §3.4), with its
/// public JWK and RFC 7638 thumbprint computed once, so a proof never re-exports or re-imports it.
/// </summary>
/// <remarks>
/// Stored form: the PKCS#8 DER encoding of the private key, base64url without padding. PKCS#8
/// names its curve, so a key of another curve or algorithm is detected at import instead of
/// signing proofs no server accepts; and it is what every crypto library reads. The stored form
/// is a secret like a refresh token (invariant 8): it is only ever returned by
/// <see cref="ExportPrivateKey"/>, never by <see cref="ToString"/>, a log or an exception.
/// </remarks>
internal sealed class DPoPKey : IDisposable
{
    // P-256 coordinates are 32 bytes (RFC 7518 §6.2.1.2: the full size, leading zeros kept).
    private const int CoordinateLength = 32;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    // A fixed probe for the import self-test; its content does not matter.
    private static ReadOnlySpan<byte> Probe => "AuthHandler DPoP key check"u8;

    // How many imports this thread has started: lets a test show that a snapshot imports its key
    // once and a proof never does. Per thread, so parallel tests do not see each other's.
    [ThreadStatic]
    private static int t_imports;

    private readonly ECDsa _ecdsa;

    private DPoPKey(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        PublicJwk = WritePublicJwk(parameters.Q);

        // RFC 7638 §3: the thumbprint is the hash of exactly the required members in lexicographic
        // order with no whitespace — which is how PublicJwk is written.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(PublicJwk.Span, hash);
        Thumbprint = Base64Url.EncodeToString(hash);
    }

    /// <summary>Gets the JWS algorithm this key signs with (RFC 7518 §3.4).</summary>
    public static string Algorithm => "ES256";

    /// <summary>
    /// Gets the public JWK as UTF-8 JSON: <c>crv</c>, <c>kty</c>, <c>x</c>, <c>y</c> in RFC 7638
    /// §3.2 order, no whitespace. Public; goes into every proof's header (RFC 9449 §4.2).
    /// </summary>
    public ReadOnlyMemory<byte> PublicJwk { get; }

    /// <summary>Gets the RFC 7638 JWK SHA-256 thumbprint, base64url (RFC 9449 §6.1 <c>jkt</c>).</summary>
    public string Thumbprint { get; }

    /// <summary>Gets how many times <see cref="TryImport"/> ran on this thread (tests only).</summary>
    internal static int ImportsOnThisThread => t_imports;

    /// <summary>Creates a new key pair, for a new sign-in (RFC 9449 §5: one key per grant).</summary>
    public static DPoPKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Reads a key stored by <see cref="ExportPrivateKey"/>. Never throws on bad input: whatever is
    /// wrong comes back as an <see cref="DPoPKeyImportError"/> that carries none of the stored bytes.
    /// </summary>
    public static bool TryImport(string? stored, [NotNullWhen(true)] out DPoPKey? key, out DPoPKeyImportError error)
    {
        t_imports++;
        key = null;
        if (string.IsNullOrEmpty(stored) || !Base64Url.IsValid(stored, out var length))
        {
            error = DPoPKeyImportError.NotBase64Url;
            return false;
        }

        var der = new byte[length];
        try
        {
            if (!Base64Url.TryDecodeFromChars(stored, der, out var written) || written != length)
            {
                error = DPoPKeyImportError.NotBase64Url;
                return false;
            }

            var ecdsa = ECDsa.Create();
            try
            {
                error = Import(ecdsa, der);
                if (error != DPoPKeyImportError.None)
                {
                    ecdsa.Dispose();
                    return false;
                }

                key = new DPoPKey(ecdsa);
                return true;
            }
            catch (CryptographicException)
            {
                ecdsa.Dispose();
                error = DPoPKeyImportError.NotPkcs8;
                return false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Gets the private key in its stored form (see the remarks of <see cref="DPoPKey"/>). A
    /// secret: for the token store only.
    /// </summary>
    public string ExportPrivateKey()
    {
        var der = _ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return Base64Url.EncodeToString(der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>Signs <paramref name="data"/> with ES256: SHA-256, the 64-byte IEEE P1363 form JWS needs (RFC 7518 §3.4).</summary>
    public int Sign(ReadOnlySpan<byte> data, Span<byte> signature) =>
        _ecdsa.SignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>Names the key by its public thumbprint; never the private key.</summary>
    public override string ToString() => $"DPoPKey({Algorithm}, jkt={Thumbprint})";

    /// <inheritdoc/>
    public void Dispose() => _ecdsa.Dispose();

    private static DPoPKeyImportError Import(ECDsa ecdsa, byte[] der)
    {
        ecdsa.ImportPkcs8PrivateKey(der, out var read);
        if (read != der.Length)
        {
            return DPoPKeyImportError.NotPkcs8;
        }

        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != P256Oid
            || parameters.Q.X?.Length != CoordinateLength
            || parameters.Q.Y?.Length != CoordinateLength)
        {
            return DPoPKeyImportError.WrongCurve;
        }

        // A PKCS#8 key may carry its public point; if storage damaged it, every proof would be
        // refused (RFC 9449 §4.3 step 9) with no hint why. One signature at load catches that.
        Span<byte> signature = stackalloc byte[2 * CoordinateLength];
        var written = ecdsa.SignData(Probe, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return ecdsa.VerifyData(Probe, signature[..written], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? DPoPKeyImportError.None
            : DPoPKeyImportError.Inconsistent;
    }

    private static byte[] WritePublicJwk(ECPoint q)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            // RFC 7638 §3.2: required members only, in lexicographic order.
            writer.WriteStartObject();
            writer.WriteString("crv"u8, "P-256"u8);
            writer.WriteString("kty"u8, "EC"u8);
            writer.WriteString("x"u8, Base64Url.EncodeToUtf8(q.X!));
            writer.WriteString("y"u8, Base64Url.EncodeToUtf8(q.Y!));
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
