using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ApiClient.Client;
using Microsoft.AspNetCore.Http;

namespace ApiClient.Demo;

/// <summary>
/// The embedded server's check of a DPoP proof (RFC 9449 §4.3), as a resource or authorization
/// server makes it: one <c>DPoP</c> header holding a JWS of type <c>dpop+jwt</c>, signed ES256 with
/// the public key in its own header; the request's method and URL (no query or fragment); a recent
/// <c>iat</c>; a <c>jti</c> never seen before; and, with an access token, its hash in <c>ath</c>.
/// A valid proof yields the key's RFC 7638 thumbprint, the name a bound token is issued to.
/// </summary>
internal sealed class DPoPProofValidator(TimeProvider time)
{
    /// <summary>How far a proof's <c>iat</c> may be from the server's clock, either way.</summary>
    private static readonly TimeSpan IatWindow = TimeSpan.FromSeconds(60);

    private const int CoordinateLength = 32;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seenJtis = new(StringComparer.Ordinal);
    private int _verified;

    /// <summary>Gets how many proofs passed every check.</summary>
    public int Verified => Volatile.Read(ref _verified);

    /// <summary>
    /// Checks the request's proof; returns the key's thumbprint, or null with <paramref name="problem"/>
    /// saying which check failed (for the <c>error_description</c>; it never holds the proof).
    /// </summary>
    /// <param name="request">The request that carries the proof.</param>
    /// <param name="accessToken">The access token sent with it (API requests), whose hash the proof must hold.</param>
    /// <param name="nonce">The nonce the proof must carry; null: none is demanded.</param>
    /// <param name="problem">Why the proof is not valid.</param>
    public string? Validate(HttpRequest request, string? accessToken, string? nonce, out string problem)
    {
        problem = string.Empty;
        if (request.Headers["DPoP"] is not [{ } proof])
        {
            problem = "exactly one DPoP header is required";
            return null;
        }

        var parts = proof.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[0], out var headerBytes) || !TryDecode(parts[1], out var payloadBytes) || !TryDecode(parts[2], out var signature))
        {
            problem = "the proof is not a compact JWS";
            return null;
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            using var payload = JsonDocument.Parse(payloadBytes);
            var h = header.RootElement;
            var p = payload.RootElement;
            if (Text(h, "typ") != "dpop+jwt")
            {
                problem = "typ is not dpop+jwt";
                return null;
            }

            if (Text(h, "alg") != "ES256")
            {
                problem = "alg is not ES256";
                return null;
            }

            // The public key: EC P-256, and never a private one (RFC 9449 §4.3 check 7).
            if (!h.TryGetProperty("jwk", out var jwk) || jwk.ValueKind != JsonValueKind.Object || Text(jwk, "kty") != "EC" || Text(jwk, "crv") != "P-256"
                || jwk.TryGetProperty("d", out _)
                || !TryDecode(Text(jwk, "x"), out var x) || x.Length != CoordinateLength
                || !TryDecode(Text(jwk, "y"), out var y) || y.Length != CoordinateLength)
            {
                problem = "jwk is not a public P-256 key";
                return null;
            }

            using (var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } }))
            {
                var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
                if (!key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                {
                    problem = "the signature does not verify with the embedded jwk";
                    return null;
                }
            }

            if (Text(p, "htm") != request.Method)
            {
                problem = "htm is not the request's method";
                return null;
            }

            // RFC 9449 §4.3 check 9: the URL without query and fragment.
            var target = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
            if (!Uri.TryCreate(Text(p, "htu"), UriKind.Absolute, out var htu) || htu.Query.Length > 0 || htu.Fragment.Length > 0
                || !string.Equals(htu.GetLeftPart(UriPartial.Path), target, StringComparison.Ordinal))
            {
                problem = "htu is not the request's URL";
                return null;
            }

            var now = time.GetUtcNow();
            if (!p.TryGetProperty("iat", out var iatElement) || !iatElement.TryGetInt64(out var iat)
                || (DateTimeOffset.FromUnixTimeSeconds(iat) - now).Duration() > IatWindow)
            {
                problem = "iat is missing or not within a minute of the server's clock";
                return null;
            }

            if (nonce is not null && Text(p, "nonce") != nonce)
            {
                problem = "the proof does not carry the server's nonce";
                return null;
            }

            if (accessToken is not null && Text(p, "ath") != Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))))
            {
                problem = "ath is not the hash of the access token";
                return null;
            }

            // Replay: each jti once within the window it could be accepted in.
            if (Text(p, "jti") is not { Length: > 0 } jti || !_seenJtis.TryAdd(jti, now))
            {
                problem = "jti is missing or was seen before";
                return null;
            }

            Forget(now);
            Interlocked.Increment(ref _verified);
            return DPoPThumbprint.Of(x, y);
        }
        catch (JsonException)
        {
            problem = "the proof's header or payload is not JSON";
            return null;
        }
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var (jti, seen) in _seenJtis)
        {
            if (now - seen > IatWindow + IatWindow)
            {
                _seenJtis.TryRemove(jti, out _);
            }
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || !Base64Url.IsValid(text))
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(text);
        return true;
    }
}
