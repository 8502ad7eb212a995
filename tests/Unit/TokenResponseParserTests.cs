using System.Text;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class TokenResponseParserTests
{
    private static TokenParseResult Parse(string json) => TokenResponseParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_FullResponse_ReadsEveryField()
    {
        var result = Parse("""{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r","scope":"read write","refresh_token_expires_in":86400,"id_token":"x","extra":{"nested":[1,2]}}""");

        var tokens = Assert.IsType<TokenResponse>(result.Tokens);
        Assert.Equal("a", tokens.AccessToken);
        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(TimeSpan.FromHours(1), tokens.ExpiresIn);
        Assert.Equal("r", tokens.RefreshToken);
        Assert.Equal("read write", tokens.Scope);
        Assert.Equal(TimeSpan.FromDays(1), tokens.RefreshTokenExpiresIn);
    }

    [Theory]
    [InlineData("\"expires_in\":\"120\"", 120.0)]
    [InlineData("\"expires_in\":120.9", 120.0)]
    [InlineData("\"expires_in\":0", null)]
    [InlineData("\"expires_in\":-5", null)]
    [InlineData("\"expires_in\":\"soon\"", null)]
    [InlineData("\"expires_in\":null", null)]
    [InlineData("\"expires_in\":{}", null)]
    [InlineData("\"expires_in\":1e300", 315360000.0)]
    public void Parse_ExpiresInVariants_AreLenient(string field, double? expectedSeconds)
    {
        var result = Parse("{\"access_token\":\"a\"," + field + "}");

        Assert.Equal(expectedSeconds is null ? null : TimeSpan.FromSeconds(expectedSeconds.Value), result.Tokens!.ExpiresIn);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"access_token\":\"a\"")]
    [InlineData("[{\"access_token\":\"a\"}]")]
    [InlineData("{}")]
    [InlineData("{\"access_token\":\"\"}")]
    [InlineData("{\"access_token\":42}")]
    [InlineData("{\"access_token\":\"a\"} trailing")]
    [InlineData("<html><body>proxy</body></html>")]
    [InlineData("")]
    public void Parse_NotATokenResponse_IsInvalid(string body)
    {
        var result = Parse(body);

        Assert.Null(result.Tokens);
        Assert.Null(result.Error);
        Assert.False(string.IsNullOrEmpty(result.InvalidReason));
    }

    [Fact]
    public void Parse_InvalidUtf8_IsInvalid()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"access_token\":\"a\xff\"}").ToList();
        bytes[18] = 0xff;

        var result = TokenResponseParser.Parse(bytes.ToArray());

        Assert.Null(result.Tokens);
    }

    [Fact]
    public void Parse_DeepNesting_IsInvalidNotAStackOverflow()
    {
        var body = "{\"x\":" + new string('[', 10_000) + new string(']', 10_000) + ",\"access_token\":\"a\"}";

        var result = Parse(body);

        Assert.NotNull(result.InvalidReason);
    }

    [Fact]
    public void Parse_OAuthError_WinsOverTokens()
    {
        var result = Parse("""{"error":"invalid_grant","error_description":"revoked","access_token":"a"}""");

        Assert.Null(result.Tokens);
        Assert.Equal("invalid_grant", result.Error!.Code);
        Assert.Equal("revoked", result.Error.Description);
        Assert.True(result.Error!.IsGrantRejection);
    }

    [Theory]
    [InlineData("invalid_client", true)]
    [InlineData("unauthorized_client", true)]
    [InlineData("unsupported_grant_type", true)]
    [InlineData("invalid_request", true)]
    [InlineData("invalid_scope", true)]
    [InlineData("invalid_grant", false)]
    [InlineData("server_error", false)]
    public void OAuthError_ClientConfiguration_FollowsRfc6749(string code, bool expected)
    {
        Assert.Equal(expected, OAuthError.FromServer(code, null)!.IsClientConfiguration);
    }

    [Theory]
    [InlineData("at\\r\\nX-Injected: yes")]
    [InlineData("at\\r\\nContent-Length: 0\\r\\n\\r\\nGET /smuggled HTTP/1.1")]
    [InlineData("   ")]
    [InlineData("a b")]
    [InlineData("t\u00f6k")]
    [InlineData("a=b")]
    [InlineData("===")]
    [InlineData("a\\\"b")]
    [InlineData("a,b")]
    public void Parse_AccessTokenThatIsNotAB64token_IsInvalidAndReportsTheIssuedRefreshToken(string accessToken)
    {
        var result = Parse("{\"access_token\":\"" + accessToken + "\",\"token_type\":\"Bearer\",\"refresh_token\":\"r2\"}");

        Assert.Null(result.Tokens);
        Assert.Contains("b64token", result.InvalidReason, StringComparison.Ordinal);
        Assert.Equal("r2", result.IssuedRefreshToken);
    }

    [Theory]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_~+/==")]
    [InlineData("gho_16C7e42F292c6912E7710c838347Ae178B4a")]
    [InlineData("ya29.a0AfH6SMB")]
    public void Parse_RealWorldB64tokens_AreAccepted(string accessToken)
    {
        var result = Parse("{\"access_token\":\"" + accessToken + "\",\"token_type\":\"Bearer\"}");

        Assert.Equal(accessToken, result.Tokens!.AccessToken);
    }

    [Theory]
    [InlineData("\"bearer\"")]
    [InlineData("\"BEARER\"")]
    [InlineData("null")]
    [InlineData("\"\"")]
    public void Parse_TokenTypeBearerInAnyCaseOrAbsent_IsBearer(string tokenType)
    {
        var result = Parse("{\"access_token\":\"a\",\"token_type\":" + tokenType + "}");

        Assert.Equal("Bearer", result.Tokens!.TokenType);
    }

    [Theory]
    [InlineData("\"DPoP\"")]
    [InlineData("\"dpop\"")]
    [InlineData("\"DPOP\"")]
    public void Parse_TokenTypeDPoPInAnyCase_IsDPoP(string tokenType)
    {
        var result = Parse("{\"access_token\":\"a\",\"token_type\":" + tokenType + "}");

        Assert.Equal("DPoP", result.Tokens!.TokenType);
    }

    [Theory]
    [InlineData("mac")]
    [InlineData("DPoP-ish")]
    [InlineData("Bearer\\r\\nX: y")]
    public void Parse_TokenTypeWeDoNotImplement_IsInvalidNamingTheSanitisedType(string tokenType)
    {
        var result = Parse("{\"access_token\":\"a\",\"token_type\":\"" + tokenType + "\",\"refresh_token\":\"r2\"}");

        Assert.Null(result.Tokens);
        Assert.Contains("token_type", result.InvalidReason, StringComparison.Ordinal);
        Assert.DoesNotContain(result.InvalidReason!, char.IsControl);
        Assert.Equal("r2", result.IssuedRefreshToken);
    }

    [Fact]
    public void Parse_TruncatedBodyAfterTheRefreshToken_ReportsTheIssuedRefreshToken()
    {
        var result = Parse("""{"refresh_token":"r2","access_token":"a","expires_in":36""");

        Assert.Null(result.Tokens);
        Assert.Equal("r2", result.IssuedRefreshToken);
    }

    [Fact]
    public void Parse_Utf8ByteOrderMark_IsAccepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"access_token":"a"}"""u8];

        Assert.Equal("a", TokenResponseParser.Parse(body).Tokens!.AccessToken);
    }

    [Fact]
    public void Parse_HugeErrorWithControlCharacters_IsBoundedAndStripped()
    {
        var json = "{\"error\":\"invalid_grant\\r\\nX-Forged: yes" + new string('x', 600_000)
            + "\",\"error_description\":\"a\\u001b[2J\\u202Eb\\r\\nc" + new string('y', 600_000) + "\"}";

        var error = Parse(json).Error!;

        Assert.Equal(64, error.Code.Length);
        Assert.StartsWith("invalid_grantX-Forged: yes", error.Code, StringComparison.Ordinal);
        Assert.False(error.IsGrantRejection);
        Assert.StartsWith("a[2Jbc", error.Description, StringComparison.Ordinal);
        Assert.Equal(Text.MaxDescriptionLength + 1, error.Description!.Length);
        Assert.EndsWith("…", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ErrorWithNothingPrintable_IsNotAnOAuthError()
    {
        var result = Parse("{\"error\":\"\\r\\n\\u0007\"}");

        Assert.Null(result.Error);
        Assert.NotNull(result.InvalidReason);
    }

    [Fact]
    public void Parse_ScopeWithControlCharacters_IsStripped()
    {
        var result = Parse("{\"access_token\":\"a\",\"scope\":\"read\\r\\nwrite\"}");

        Assert.Equal("readwrite", result.Tokens!.Scope);
    }

    [Fact]
    public void ToTokenSet_WithoutRefreshToken_KeepsPrevious()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var previous = new TokenSet("old", now) { RefreshToken = "r1", RefreshTokenExpiresAt = now.AddDays(1), Scope = "s" };
        var response = Parse("""{"access_token":"new","expires_in":60}""").Tokens!;

        var tokens = response.ToTokenSet(now, TimeSpan.FromHours(1), previous);

        Assert.Equal("r1", tokens.RefreshToken);
        Assert.Equal(now.AddDays(1), tokens.RefreshTokenExpiresAt);
        Assert.Equal("s", tokens.Scope);
        Assert.Equal(now.AddSeconds(60), tokens.ExpiresAt);
        Assert.Equal(now, tokens.IssuedAt);
    }

    [Fact]
    public void TokenSet_ToString_HidesTokens()
    {
        var tokens = new TokenSet("access-value", DateTimeOffset.UnixEpoch) { RefreshToken = "refresh-value" };

        var text = tokens.ToString();

        Assert.DoesNotContain("access-value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh-value", text, StringComparison.Ordinal);
        Assert.Contains("HasRefreshToken = True", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IdToken_IsKept()
    {
        var result = Parse("""{"access_token":"a","id_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_"}""");

        Assert.Equal("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_", result.Tokens!.IdToken);
    }

    [Theory]
    [InlineData("\"a.b c.d\"")]
    [InlineData("\"a.b\\r\\nX-Injected: 1.c\"")]
    [InlineData("\"a.b.c\u00e9\"")]
    [InlineData("\"\"")]
    [InlineData("42")]
    [InlineData("{\"sub\":\"1\"}")]
    public void Parse_IdTokenThatIsNotACompactJws_IsDroppedAndTheTokensKept(string idToken)
    {
        var result = Parse($$"""{"access_token":"a","refresh_token":"r","id_token":{{idToken}}}""");

        Assert.NotNull(result.Tokens);
        Assert.Null(result.Tokens.IdToken);
        Assert.Equal("r", result.Tokens.RefreshToken);
    }

    [Fact]
    public void Parse_IdTokenLongerThan16KiB_IsDropped()
    {
        var result = Parse($$"""{"access_token":"a","id_token":"a.{{new string('b', 16 * 1024)}}.c"}""");

        Assert.Null(result.Tokens!.IdToken);
    }

    [Fact]
    public void ToTokenSet_WithoutIdToken_KeepsThePreviousIdToken()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var previous = new TokenSet("old", now) { RefreshToken = "r1", IdToken = "h.old.s" };

        var tokens = Parse("""{"access_token":"new","refresh_token":"r2"}""").Tokens!.ToTokenSet(now, TimeSpan.FromHours(1), previous);

        Assert.Equal("h.old.s", tokens.IdToken);
        Assert.Equal("r2", tokens.RefreshToken);
    }

    [Fact]
    public void ToTokenSet_WithIdToken_ReplacesThePreviousIdToken()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var previous = new TokenSet("old", now) { RefreshToken = "r1", IdToken = "h.old.s" };

        var tokens = Parse("""{"access_token":"new","id_token":"h.new.s"}""").Tokens!.ToTokenSet(now, TimeSpan.FromHours(1), previous);

        Assert.Equal("h.new.s", tokens.IdToken);
    }

    [Fact]
    public void TokenSet_ToString_HidesTheIdToken()
    {
        var tokens = new TokenSet("access-value", DateTimeOffset.UnixEpoch) { IdToken = "id-header.id-payload.id-signature" };

        var text = tokens.ToString();

        Assert.DoesNotContain("id-", text, StringComparison.Ordinal);
        Assert.Contains("HasIdToken = True", text, StringComparison.Ordinal);
    }
}
