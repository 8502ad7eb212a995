using System.Security.Cryptography;
using AuthHandler.Protocol.DPoP.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// A refresh of DPoP-bound tokens (RFC 9449 §5): signed with the stored key, imported once; a
/// key that cannot be used, or bound tokens while DPoP is off, need a new sign-in and nothing is
/// presented to the token endpoint; the entry stays for the sign-in to replace.
/// </summary>
public sealed class TokenRefresherDPoPTests
{
    [Fact]
    public async Task RefreshAsync_StoredKey_PresentsTheRefreshTokenWithAWriterOfThatKey()
    {
        var fixture = new RefreshFixture(dpop: true);
        using var key = DPoPKey.Create();
        var snapshot = fixture.SignedIn(Bound(key.ExportPrivateKey()));
        fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal("access-2", outcome.Snapshot!.Tokens.AccessToken);
        var presented = Assert.Single(fixture.Endpoint.Presented);
        Assert.Equal(key.Thumbprint, presented.Proof!.Key.Thumbprint);
        Assert.Equal(fixture.Stored!.DPoPKey, key.ExportPrivateKey());
    }

    [Fact]
    public async Task RefreshAsync_SameStoredKeyTwice_ImportsItOnce()
    {
        var fixture = new RefreshFixture(dpop: true);
        using var key = DPoPKey.Create();
        fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"), ScriptedTokenEndpoint.Issued("access-3", "refresh-3"));
        var first = await fixture.RefreshAsync(fixture.SignedIn(Bound(key.ExportPrivateKey())));

        // A new string with the same key, as a store that reads its file again hands out.
        fixture.Seed(Bound(new string(fixture.Stored!.DPoPKey!.AsSpan()), "access-2", "refresh-2"));
        await fixture.RefreshAsync(first.Snapshot);

        var presented = fixture.Endpoint.Presented;
        Assert.Equal(2, presented.Count);
        Assert.Same(presented[0].Proof, presented[1].Proof);
    }

    public static TheoryData<string, string> UnusableKeys()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        return new()
        {
            { "not base64url!", nameof(DPoPKeyImportError.NotBase64Url) },
            { "AAECAwQF", nameof(DPoPKeyImportError.NotPkcs8) },
            { System.Buffers.Text.Base64Url.EncodeToString(p384.ExportPkcs8PrivateKey()), nameof(DPoPKeyImportError.WrongCurve) },
        };
    }

    [Theory]
    [MemberData(nameof(UnusableKeys))]
    public async Task RefreshAsync_UnusableStoredKey_SignInRequiredNothingPresentedAndTheEntryKept(string stored, string reason)
    {
        var fixture = new RefreshFixture(dpop: true);
        var snapshot = fixture.SignedIn(Bound(stored));

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal(SignInRequiredReason.TokenStoreUnreadable, outcome.SignedOutReason);
        Assert.Contains(reason, outcome.StoreFailure!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(stored, outcome.StoreFailure.Message, StringComparison.Ordinal);
        Assert.Empty(fixture.Endpoint.Presented);
        Assert.Empty(fixture.Store.Writes);
        Assert.Equal("refresh-1", fixture.Stored!.RefreshToken);
        var log = Assert.Single(fixture.Logger.Collector.GetSnapshot(), r => r.Id.Id == 54);
        Assert.DoesNotContain(stored, log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshAsync_DPoPBoundTokensWhileDPoPIsOff_SignInRequiredDPoPSettingChangedAndNothingPresented()
    {
        var fixture = new RefreshFixture(dpop: false);
        using var key = DPoPKey.Create();
        var snapshot = fixture.SignedIn(Bound(key.ExportPrivateKey()));

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal(SignInRequiredReason.DPoPSettingChanged, outcome.SignedOutReason);
        Assert.Empty(fixture.Endpoint.Presented);
        Assert.Equal("refresh-1", fixture.Stored!.RefreshToken);
        Assert.Contains(fixture.Logger.Collector.GetSnapshot(), r => r.Id.Id == 55);
    }

    [Fact]
    public async Task RefreshAsync_DPoPTypeWithoutAKey_SignInRequiredDPoPSettingChangedAndNothingPresented()
    {
        var fixture = new RefreshFixture(dpop: true);
        var snapshot = fixture.SignedIn(Bound(key: null));

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal(SignInRequiredReason.DPoPSettingChanged, outcome.SignedOutReason);
        Assert.Empty(fixture.Endpoint.Presented);
        Assert.Contains(fixture.Logger.Collector.GetSnapshot(), r => r.Id.Id == 56);
    }

    [Fact]
    public async Task RefreshAsync_BearerTypeWithAKeyWhileDPoPIsOn_SignInRequiredDPoPSettingChangedAndNothingPresented()
    {
        var fixture = new RefreshFixture(dpop: true);
        using var key = DPoPKey.Create();
        var snapshot = fixture.SignedIn(new TokenSet("access-1", RefreshFixture.Now.AddMinutes(-1))
        {
            TokenType = "Bearer",
            RefreshToken = "refresh-1",
            IssuedAt = RefreshFixture.Now.AddHours(-1),
            DPoPKey = key.ExportPrivateKey(),
        });

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal(SignInRequiredReason.DPoPSettingChanged, outcome.SignedOutReason);
        Assert.Empty(fixture.Endpoint.Presented);
        Assert.Equal("refresh-1", fixture.Stored!.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_BearerTokensWithDPoPOff_PresentedWithoutAProof()
    {
        var fixture = new RefreshFixture(dpop: false);
        var snapshot = fixture.SignedIn(RefreshFixture.Tokens());
        fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        await fixture.RefreshAsync(snapshot);

        Assert.Null(Assert.Single(fixture.Endpoint.Presented).Proof);
    }

    [Fact]
    public async Task RefreshAsync_WrongTokenTypeAnswer_KeepsTheStoredTokensAndTheIssuedRefreshToken()
    {
        var fixture = new RefreshFixture(dpop: true);
        using var key = DPoPKey.Create();
        var snapshot = fixture.SignedIn(Bound(key.ExportPrivateKey()));
        fixture.Endpoint.Answer(AuthHandler.Protocol.Internal.TokenResult.WrongTokenType(
            new TokenEndpointException(TokenEndpointFailure.InvalidResponse, "The server ignored the DPoP proof."), "refresh-2"));

        var outcome = await fixture.RefreshAsync(snapshot);

        Assert.Equal(TokenEndpointFailure.InvalidResponse, Assert.IsType<TokenEndpointException>(outcome.Failure).Failure);
        Assert.Equal("access-1", fixture.Stored!.AccessToken);
        Assert.Equal("refresh-2", fixture.Stored.RefreshToken);
        Assert.Equal(key.ExportPrivateKey(), fixture.Stored.DPoPKey);
    }

    /// <summary>The signed-in DPoP tokens, expired so that a refresh is due.</summary>
    private static TokenSet Bound(string? key, string accessToken = "access-1", string refreshToken = "refresh-1") =>
        new(accessToken, RefreshFixture.Now.AddMinutes(-1)) { TokenType = "DPoP", RefreshToken = refreshToken, IssuedAt = RefreshFixture.Now.AddHours(-1), DPoPKey = key };
}
