using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// <see cref="LoopbackAuthorizationServer.TryVerifyProof"/>, which the DPoP browser test relies on
/// (the token endpoint's binding check and the API proof assertion): it accepts a proof made here
/// with a P-256 key, and each of its checks can refuse. No browser starts.
/// </summary>
public sealed class DPoPProofVerificationTests
{
    private static readonly Uri Target = new("http://127.0.0.1:50123/token");

    [Fact]
    public void ValidProof_IsAccepted_WithTheKeysRfc7638ThumbprintAndTheClaims()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.True(LoopbackAuthorizationServer.TryVerifyProof(Proof(key), "POST", Target, out var thumbprint, out var claims));

        var q = key.ExportParameters(includePrivateParameters: false).Q;
        var expected = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(
            $$"""{"crv":"P-256","kty":"EC","x":"{{WebEncoders.Base64UrlEncode(q.X!)}}","y":"{{WebEncoders.Base64UrlEncode(q.Y!)}}"}""")));
        Assert.Equal(expected, thumbprint);
        Assert.Equal("jti-1", claims["jti"]);
    }

    [Theory]
    [InlineData("signature")]
    [InlineData("other key")]
    [InlineData("htm")]
    [InlineData("htu")]
    [InlineData("typ")]
    [InlineData("no jti")]
    public void ProofThatFailsOneCheck_IsRefused(string how)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = how switch
        {
            "signature" => Proof(key)[..^4] + (Proof(key)[^4] == 'A' ? "BBBB" : "AAAA"),
            "other key" => Proof(key, signer: other),
            "htm" => Proof(key, htm: "GET"),
            "htu" => Proof(key, htu: "http://127.0.0.1:50123/other"),
            "typ" => Proof(key, typ: "JWT"),
            _ => Proof(key, jti: null),
        };

        Assert.False(LoopbackAuthorizationServer.TryVerifyProof(proof, "POST", Target, out _, out _));
    }

    private static string Proof(ECDsa key, ECDsa? signer = null, string htm = "POST", string? htu = null, string typ = "dpop+jwt", string? jti = "jti-1")
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        var header = new Dictionary<string, object>
        {
            ["typ"] = typ,
            ["alg"] = "ES256",
            ["jwk"] = new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = WebEncoders.Base64UrlEncode(q.X!), ["y"] = WebEncoders.Base64UrlEncode(q.Y!) },
        };
        var payload = new Dictionary<string, object> { ["htm"] = htm, ["htu"] = htu ?? Target.AbsoluteUri, ["iat"] = 1_700_000_000 };
        if (jti is not null)
        {
            payload["jti"] = jti;
        }

        var input = WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = (signer ?? key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256);
        return input + "." + WebEncoders.Base64UrlEncode(signature);
    }
}
