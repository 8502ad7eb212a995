using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

/// <summary>What <see cref="RefreshSchedule.CreateSnapshot"/> makes of a DPoP-bound token set (RFC 9449 §7).</summary>
public sealed class DPoPSnapshotTests : IDisposable
{
    private const string Access = "at-dpop.1~x";

    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly DPoPKey _key = DPoPKey.Create();

    public void Dispose() => _key.Dispose();

    [Theory]
    [InlineData("DPoP", null)]
    [InlineData("dpop", null)]
    [InlineData("DPoP", "Bearer")]
    [InlineData("DPOP", "Token")]
    public void CreateSnapshot_DPoPTokenWithDPoPEnabled_HeaderIsDPoPWhateverTheSchemeOverride(string tokenType, string? schemeOverride)
    {
        var snapshot = Schedule(dpop: true, schemeOverride).CreateSnapshot(Tokens(tokenType));

        Assert.Equal("DPoP " + Access, snapshot.HeaderValue);
        Assert.Equal("DPoP", snapshot.AccessToken.Scheme);
        Assert.NotNull(snapshot.DPoP);
        Assert.True(snapshot.CanSend);
        Assert.Equal(_key.Thumbprint, snapshot.DPoP.Thumbprint);
    }

    [Fact]
    public void CreateSnapshot_BearerTokenWithDPoPEnabled_IsAPlainBearerSnapshot()
    {
        var snapshot = Schedule(dpop: true).CreateSnapshot(Tokens("Bearer"));

        Assert.Equal("Bearer " + Access, snapshot.HeaderValue);
        Assert.Null(snapshot.DPoP);
        Assert.True(snapshot.CanSend);
    }

    [Fact]
    public void CreateSnapshot_DPoPDisabled_MakesNoBinding()
    {
        var snapshot = Schedule(dpop: false).CreateSnapshot(Tokens("Bearer"));

        Assert.Null(snapshot.DPoP);
    }

    [Fact]
    public void CreateSnapshot_ImportsTheKeyOnceAndProofsImportNothing()
    {
        var schedule = Schedule(dpop: true);
        var tokens = Tokens("DPoP");
        var before = DPoPKey.ImportsOnThisThread;

        var snapshot = schedule.CreateSnapshot(tokens);
        var afterSnapshot = DPoPKey.ImportsOnThisThread;
        for (var i = 0; i < 3; i++)
        {
            snapshot.DPoP!.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/items"), nonce: null);
        }

        Assert.Equal(1, afterSnapshot - before);
        Assert.Equal(afterSnapshot, DPoPKey.ImportsOnThisThread);
    }

    [Fact]
    public void CreateSnapshot_KeyTheRefreshAlreadyImported_IsNotImportedAgain()
    {
        var dpop = new DPoPContext(enabled: true, new DPoPNonceCache(), _time);
        var schedule = new RefreshSchedule(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), schemeOverride: null, dpop);
        var tokens = Tokens("DPoP");
        Assert.True(dpop.TryGetWriter(tokens.DPoPKey, out var refreshWriter, out _));
        var before = DPoPKey.ImportsOnThisThread;

        var snapshot = schedule.CreateSnapshot(tokens);

        Assert.Equal(before, DPoPKey.ImportsOnThisThread);
        Assert.Equal(refreshWriter!.Key.Thumbprint, snapshot.DPoP!.Thumbprint);
    }

    [Theory]
    [InlineData("not base64url!", nameof(DPoPKeyImportError.NotBase64Url))]
    [InlineData("AAAA", nameof(DPoPKeyImportError.NotPkcs8))]
    public void CreateSnapshot_KeyDoesNotImport_SnapshotCannotSendAndSaysWhy(string storedKey, string expectedError)
    {
        var expected = Enum.Parse<DPoPKeyImportError>(expectedError);
        var snapshot = Schedule(dpop: true).CreateSnapshot(Tokens("DPoP", storedKey));

        Assert.False(snapshot.CanSend);
        Assert.False(snapshot.DPoP!.CanProve);
        Assert.Equal(expected, snapshot.DPoP.ImportError);
        Assert.Throws<InvalidOperationException>(() => snapshot.DPoP.CreateProof(HttpMethod.Get, new Uri("https://api.example.com/"), nonce: null));

        // Never downgraded: the header value is still the DPoP one, which the handler does not send.
        Assert.StartsWith("DPoP ", snapshot.HeaderValue, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateSnapshot_KeyOfAnotherCurve_SnapshotCannotSend()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var stored = Base64Url.EncodeToString(p384.ExportPkcs8PrivateKey());

        var snapshot = Schedule(dpop: true).CreateSnapshot(Tokens("DPoP", stored));

        Assert.False(snapshot.CanSend);
        Assert.Equal(DPoPKeyImportError.WrongCurve, snapshot.DPoP!.ImportError);
    }

    [Fact]
    public async Task CreateProof_OfASnapshot_VerifiesAndCarriesAthHtmHtuAndNonce()
    {
        var snapshot = Schedule(dpop: true).CreateSnapshot(Tokens("DPoP"));

        var proof = await DPoPProofVerifier.VerifyAsync(snapshot.DPoP!.CreateProof(HttpMethod.Post, new Uri("https://api.example.com/items?x=1"), "n-1"));

        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(Access))), proof.Claim("ath"));
        Assert.Equal("POST", proof.Claim("htm"));
        Assert.Equal("https://api.example.com/items", proof.Claim("htu"));
        Assert.Equal("n-1", proof.Claim("nonce"));
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), proof.Claim("iat"));
    }

    [Fact]
    public async Task CreateProof_TwiceOfOneSnapshot_HasTwoJtis()
    {
        var snapshot = Schedule(dpop: true).CreateSnapshot(Tokens("DPoP"));
        var target = new Uri("https://api.example.com/items");

        var first = await DPoPProofVerifier.VerifyAsync(snapshot.DPoP!.CreateProof(HttpMethod.Get, target, nonce: null));
        var second = await DPoPProofVerifier.VerifyAsync(snapshot.DPoP.CreateProof(HttpMethod.Get, target, nonce: null));

        Assert.NotEqual(first.Claim("jti"), second.Claim("jti"));
    }

    [Fact]
    public void CanSend_DPoPTokenWithDPoPEnabledAndAKey_IsTrue() =>
        Assert.True(Schedule(dpop: true).CanSend(Tokens("DPoP")));

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    public void CanSend_DPoPTokenWithDPoPOff_IsFalseEvenWithTheAppsScheme(string? schemeOverride) =>
        Assert.False(Schedule(dpop: false, schemeOverride).CanSend(Tokens("DPoP")));

    [Fact]
    public void CanSend_DPoPTokenWithoutAKey_IsFalse() =>
        Assert.False(Schedule(dpop: true).CanSend(new TokenSet(Access, Now.AddHours(1)) { TokenType = "DPoP" }));

    private RefreshSchedule Schedule(bool dpop, string? schemeOverride = null) =>
        new(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), schemeOverride, dpop ? new DPoPContext(enabled: true, new DPoPNonceCache(), _time) : null);

    private TokenSet Tokens(string tokenType, string? storedKey = null) =>
        new(Access, Now.AddHours(1))
        {
            TokenType = tokenType,
            RefreshToken = "r",
            IssuedAt = Now,
            DPoPKey = storedKey ?? _key.ExportPrivateKey(),
        };
}
