using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// Checks a DPoP proof the way a server does (RFC 9449 §4.3), with an independent JWS library:
/// the signature is verified with the key in the proof's own <c>jwk</c> header, not with the
/// client's key object.
/// </summary>
internal static class DPoPProofVerifier
{
    public static async Task<DPoPProof> VerifyAsync(string proof)
    {
        var parts = proof.Split('.');
        Assert.Equal(3, parts.Length);

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        var jwkJson = header.RootElement.GetProperty("jwk").GetRawText();
        var embeddedKey = new JsonWebKey(jwkJson);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = embeddedKey,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
        Assert.True(result.IsValid, $"The proof did not validate: {result.Exception?.Message}");

        var token = (JsonWebToken)result.SecurityToken;
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return new DPoPProof(
            Typ: token.Typ,
            Alg: token.Alg,
            JwkJson: jwkJson,
            SignatureLength: Base64Url.DecodeFromChars(parts[2]).Length,
            Payload: payload.RootElement.Clone(),
            HeaderMembers: [.. header.RootElement.EnumerateObject().Select(p => p.Name)]);
    }

    /// <summary>RFC 7638 §3: the thumbprint of an EC key, built by hand from the canonical JSON.</summary>
    public static string EcThumbprint(string x, string y)
    {
        var canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        return Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
