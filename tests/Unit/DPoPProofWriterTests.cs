using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

public sealed class DPoPProofWriterTests : IDisposable
{
    // RFC 9449 §7.1 Figure 12: this access token's ath in the example proof.
    private const string Rfc9449AccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    private const string Rfc9449Ath = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";

    private readonly DPoPKey _key = DPoPKey.Create();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 3, 4, 5, TimeSpan.Zero));

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task CreateProof_Get_VerifiesWithTheEmbeddedJwkAndHasTheRfc9449Header()
    {
        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Get, new Uri("https://api.example.com/items")));

        Assert.Equal("dpop+jwt", proof.Typ);
        Assert.Equal("ES256", proof.Alg);
        Assert.Equal(["typ", "alg", "jwk"], proof.HeaderMembers);
        Assert.Equal(64, proof.SignatureLength);
        Assert.DoesNotContain("\"d\"", proof.JwkJson, StringComparison.Ordinal);
        Assert.Equal("GET", proof.Claim("htm"));
        Assert.Equal("https://api.example.com/items", proof.Claim("htu"));
    }

    [Fact]
    public async Task CreateProof_OtherKeysJwkInTheHeader_DoesNotVerify()
    {
        // The verifier must be able to fail: a proof whose header names another key is refused.
        using var other = DPoPKey.Create();
        var proof = Writer().CreateProof(HttpMethod.Get, new Uri("https://api.example.com/"));
        var otherHeader = new DPoPProofWriter(other, _time).CreateProof(HttpMethod.Get, new Uri("https://api.example.com/")).Split('.')[0];
        var parts = proof.Split('.');

        await Assert.ThrowsAnyAsync<Exception>(() => DPoPProofVerifier.VerifyAsync($"{otherHeader}.{parts[1]}.{parts[2]}"));
    }

    [Fact]
    public async Task CreateProof_PayloadChanged_DoesNotVerify()
    {
        var parts = Writer().CreateProof(HttpMethod.Get, new Uri("https://api.example.com/")).Split('.');
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"htm\":\"POST\"}"));

        await Assert.ThrowsAnyAsync<Exception>(() => DPoPProofVerifier.VerifyAsync($"{parts[0]}.{forged}.{parts[2]}"));
    }

    [Theory]
    [InlineData("https://api.example.com/a/b?x=1&y=2#frag", "https://api.example.com/a/b")]
    [InlineData("HTTPS://API.Example.COM:443/a?x", "https://api.example.com/a")]
    [InlineData("https://api.example.com:8443/a/", "https://api.example.com:8443/a/")]
    [InlineData("https://user:secret@api.example.com/a", "https://api.example.com/a")]
    [InlineData("https://api.example.com", "https://api.example.com/")]
    [InlineData("http://127.0.0.1:5000/token?grant=x", "http://127.0.0.1:5000/token")]
    public async Task CreateProof_Target_HtuHasNoQueryFragmentOrUserInfoAndANormalisedOrigin(string target, string expected)
    {
        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Post, new Uri(target)));

        Assert.Equal(expected, proof.Claim("htu"));
        Assert.Equal("POST", proof.Claim("htm"));
    }

    [Fact]
    public async Task CreateProof_IatIsTheInjectedClockInSeconds()
    {
        var writer = Writer();

        var first = await DPoPProofVerifier.VerifyAsync(writer.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/")));
        _time.Advance(TimeSpan.FromSeconds(90));
        var second = await DPoPProofVerifier.VerifyAsync(writer.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/")));

        Assert.Equal(new DateTimeOffset(2026, 12, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), first.Claim("iat"));
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 3, 5, 35, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), second.Claim("iat"));
    }

    [Fact]
    public void CreateProof_TenThousandProofs_HaveUniqueJtisOf128Bits()
    {
        var writer = Writer();
        var target = new Uri("https://api.example.com/items");
        var jtis = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 10_000; i++)
        {
            var payload = System.Text.Json.JsonDocument.Parse(Base64Url.DecodeFromChars(writer.CreateProof(HttpMethod.Get, target).Split('.')[1]));
            using (payload)
            {
                var jti = payload.RootElement.GetProperty("jti").GetString()!;
                Assert.Equal(16, Base64Url.DecodeFromChars(jti).Length);
                Assert.True(jtis.Add(jti), "A jti repeated.");
            }
        }

        Assert.Equal(10_000, jtis.Count);
    }

    [Fact]
    public async Task CreateProof_Rfc9449ExampleAccessToken_AthIsTheRfcsValue()
    {
        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Get, new Uri("https://resource.example.org/protectedresource"), Rfc9449AccessToken));

        Assert.Equal(Rfc9449Ath, proof.Claim("ath"));
        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Rfc9449AccessToken))), proof.Claim("ath"));
    }

    [Fact]
    public async Task CreateProofWithAccessTokenHash_Rfc9449ExampleHash_AthIsTheRfcsValue()
    {
        var hash = DPoPProofWriter.HashAccessToken(Rfc9449AccessToken);

        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProofWithAccessTokenHash(HttpMethod.Get, new Uri("https://resource.example.org/protectedresource"), hash, "n-1"));

        Assert.Equal(Rfc9449Ath, Encoding.ASCII.GetString(hash));
        Assert.Equal(Rfc9449Ath, proof.Claim("ath"));
        Assert.Equal("n-1", proof.Claim("nonce"));
    }

    [Fact]
    public void CreateProofWithAccessTokenHash_NoHash_Throws() =>
        Assert.Throws<ArgumentException>(() => Writer().CreateProofWithAccessTokenHash(HttpMethod.Get, new Uri("https://api.example.com/"), ReadOnlySpan<byte>.Empty));

    [Fact]
    public async Task CreateProof_LongAccessToken_AthIsSha256OfIt()
    {
        var token = new string('a', 5000) + "." + new string('B', 3000);

        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Get, new Uri("https://api.example.com/"), token));

        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(token))), proof.Claim("ath"));
    }

    [Fact]
    public async Task CreateProof_NoAccessTokenNoNonce_HasNeitherAthNorNonce()
    {
        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Post, new Uri("https://as.example.com/token")));

        Assert.Null(proof.Claim("ath"));
        Assert.Null(proof.Claim("nonce"));
        Assert.Equal(["jti", "htm", "htu", "iat"], proof.Payload.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task CreateProof_Nonce_IsCarriedAsGiven()
    {
        const string nonce = "eyJ7S_zG.9qtj-p~X!#$%&'()*+,/:;<=>?@[]^`{|}";

        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Post, new Uri("https://as.example.com/token"), nonce: nonce));

        Assert.Equal(nonce, proof.Claim("nonce"));
        Assert.Null(proof.Claim("ath"));
    }

    [Fact]
    public async Task CreateProof_LongNonceAndPath_UsesTheRentedBufferAndVerifies()
    {
        var nonce = new string('n', DPoPNonceCache.MaxNonceLength);
        var target = new Uri("https://api.example.com/" + new string('p', 3000) + "?q=1");

        var proof = await DPoPProofVerifier.VerifyAsync(Writer().CreateProof(HttpMethod.Put, target, "token", nonce));

        Assert.Equal(nonce, proof.Claim("nonce"));
        Assert.Equal("https://api.example.com/" + new string('p', 3000), proof.Claim("htu"));
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("quote\"")]
    [InlineData("back\\slash")]
    [InlineData("")]
    public void CreateProof_InvalidNonce_ThrowsWithoutEchoingIt(string nonce)
    {
        var exception = Assert.Throws<ArgumentException>(() => Writer().CreateProof(HttpMethod.Get, new Uri("https://api.example.com/"), nonce: nonce));

        Assert.Equal("nonce", exception.ParamName);
        if (nonce.Length > 0)
        {
            Assert.DoesNotContain(nonce, exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CreateProof_RelativeUri_Throws()
    {
        Assert.Throws<ArgumentException>(() => Writer().CreateProof(HttpMethod.Get, new Uri("/items", UriKind.Relative)));
    }

    [Fact]
    public async Task CreateProof_SameWriterNewTokenAndTarget_AthAndHtuFollowTheNewOnes()
    {
        // The writer remembers the last token's ath and the last target's htu; a new one must not reuse them.
        var writer = Writer();
        await DPoPProofVerifier.VerifyAsync(writer.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/a"), "token-1"));

        var proof = await DPoPProofVerifier.VerifyAsync(writer.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/b"), "token-2"));
        var again = await DPoPProofVerifier.VerifyAsync(writer.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/b"), "token-2"));

        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData("token-2"u8)), proof.Claim("ath"));
        Assert.Equal("https://api.example.com/b", proof.Claim("htu"));
        Assert.Equal(proof.Claim("ath"), again.Claim("ath"));
        Assert.NotEqual(proof.Claim("jti"), again.Claim("jti"));
    }

    private DPoPProofWriter Writer() => new(_key, _time);
}
