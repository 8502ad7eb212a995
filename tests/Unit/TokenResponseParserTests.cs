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
        Assert.Equal(new OAuthError("invalid_grant", "revoked"), result.Error);
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
        Assert.Equal(expected, new OAuthError(code, null).IsClientConfiguration);
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
}
