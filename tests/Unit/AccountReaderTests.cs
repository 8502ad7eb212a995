using System.Text;
using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class AccountReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A compact JWS with <paramref name="payload"/> and a signature that is never checked.</summary>
    private static string Jws(string payload) => Base64Url("""{"alg":"RS256","kid":"k1"}""") + "." + Base64Url(payload) + ".c2lnbmF0dXJl";

    private static TokenSet Tokens(string? idToken, string? scope = "openid profile email") =>
        new("access-value", Now.AddHours(1))
        {
            RefreshToken = "refresh-value",
            RefreshTokenExpiresAt = Now.AddDays(30),
            Scope = scope,
            IdToken = idToken,
        };

    [Fact]
    public void Describe_IdTokenWithDisplayClaims_ReadsEachClaim()
    {
        var idToken = Jws("""{"iss":"https://id.example.com","sub":"248289761001","aud":"cli","exp":1767272400,"name":"Jane Doe","preferred_username":"j.doe","email":"janedoe@example.com"}""");

        var account = AccountReader.Describe(Tokens(idToken));

        Assert.Equal("248289761001", account.Subject);
        Assert.Equal("https://id.example.com", account.Issuer);
        Assert.Equal("Jane Doe", account.Name);
        Assert.Equal("j.doe", account.PreferredUsername);
        Assert.Equal("janedoe@example.com", account.Email);
    }

    [Fact]
    public void Describe_TokenSet_ReadsScopesExpiriesAndRefreshToken()
    {
        var account = AccountReader.Describe(Tokens(idToken: null, scope: " openid  read:data write "));

        Assert.Equal(["openid", "read:data", "write"], account.Scopes);
        Assert.Equal(Now.AddHours(1), account.AccessTokenExpiresAt);
        Assert.Equal(Now.AddDays(30), account.RefreshTokenExpiresAt);
        Assert.True(account.HasRefreshToken);
    }

    [Fact]
    public void Describe_NoScopeAndNoRefreshToken_EmptyScopesAndNoRefreshToken()
    {
        var account = AccountReader.Describe(new TokenSet("access-value", Now));

        Assert.Empty(account.Scopes);
        Assert.False(account.HasRefreshToken);
        Assert.Null(account.RefreshTokenExpiresAt);
    }

    [Fact]
    public void Describe_NoIdToken_AccountHasNoClaims()
    {
        var account = AccountReader.Describe(Tokens(idToken: null));

        Assert.Null(account.Subject);
        Assert.Null(account.Issuer);
        Assert.Null(account.Name);
        Assert.Null(account.PreferredUsername);
        Assert.Null(account.Email);
    }

    public static TheoryData<string> MalformedIdTokens =>
    [
        "",
        "not-a-jwt",
        "one.two",
        "a.b.c.d",
        "..",
        "eyJhbGciOiJub25lIn0.!!!not-base64url!!!.sig",
        "eyJhbGciOiJub25lIn0." + Base64Url("not json") + ".sig",
        "eyJhbGciOiJub25lIn0." + Base64Url("""["sub","alice"]""") + ".sig",
        "eyJhbGciOiJub25lIn0." + Base64Url("\"alice\"") + ".sig",
        "eyJhbGciOiJub25lIn0." + Base64Url("""{"sub":"alice" """) + ".sig",
        "eyJhbGciOiJub25lIn0." + Base64Url(new string('[', 100) + new string(']', 100)) + ".sig",
        "eyJhbGciOiJub25lIn0." + Convert.ToBase64String([0xFF, 0xFE, 0x7B, 0x7D]) + ".sig",
    ];

    [Theory]
    [MemberData(nameof(MalformedIdTokens))]
    public void Describe_MalformedIdToken_AccountWithoutClaimsAndNoException(string idToken)
    {
        var account = AccountReader.Describe(Tokens(idToken));

        Assert.Null(account.Subject);
        Assert.Null(account.Name);
        Assert.Equal(["openid", "profile", "email"], account.Scopes);
    }

    [Fact]
    public void ReadClaims_ClaimsThatAreNotStrings_AreAbsent()
    {
        var claims = AccountReader.ReadClaims(Jws("""{"sub":42,"name":{"first":"Jane"},"email":null,"preferred_username":["j"],"iss":true}"""));

        Assert.NotNull(claims);
        Assert.Null(claims.Subject);
        Assert.Null(claims.Name);
        Assert.Null(claims.Email);
        Assert.Null(claims.PreferredUsername);
        Assert.Null(claims.Issuer);
    }

    [Fact]
    public void ReadClaims_ControlAndFormatCharacters_AreStrippedAndUnicodeKept()
    {
        var claims = AccountReader.ReadClaims(Jws("""{"sub":"s","name":"José\u001b[31m Ünal\r\nFake: line\u202e","preferred_username":"\u0007\u0000"}"""));

        Assert.Equal("José[31m ÜnalFake: line", claims!.Name);
        Assert.Null(claims.PreferredUsername);
    }

    [Fact]
    public void ReadClaims_HugeClaim_IsBounded()
    {
        var claims = AccountReader.ReadClaims(Jws($$"""{"sub":"s","name":"{{new string('n', 10_000)}}"}"""));

        Assert.True(claims!.Name!.Length <= AccountReader.MaxClaimLength + 1, $"{claims.Name.Length} characters");
    }

    [Fact]
    public void ReadClaims_PaddedBase64Url_IsRead()
    {
        // Base64url without padding is what RFC 7515 §2 prescribes; some issuers pad anyway.
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"sub":"ab"}""")).Replace('+', '-').Replace('/', '_');

        Assert.Equal("ab", AccountReader.ReadClaims("eyJhbGciOiJub25lIn0." + payload + ".sig")!.Subject);
    }

    [Fact]
    public void ToString_Account_ShowsNoTokenAndNoPersonalClaimButTheSubject()
    {
        var account = AccountReader.Describe(Tokens(Jws("""{"sub":"s-1","name":"Jane Doe","email":"janedoe@example.com"}""")));

        var text = account.ToString();

        Assert.Contains("s-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Jane", text, StringComparison.Ordinal);
        Assert.DoesNotContain("janedoe", text, StringComparison.Ordinal);
        Assert.DoesNotContain("access-value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh-value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("c2lnbmF0dXJl", text, StringComparison.Ordinal);
    }
}
