using System.Net;
using AuthHandler.Http.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class WwwAuthenticateParserTests
{
    [Fact]
    public void Parse_SeveralChallengesWithParameters_ReadsEach()
    {
        var challenges = WwwAuthenticateParser.Parse("Basic realm=\"simple\", Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The token expired\"");

        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("simple", challenges[0].Parameters["realm"]);
        Assert.Equal("invalid_token", challenges[1].Parameters["error"]);
        Assert.Equal("The token expired", challenges[1].Parameters["error_description"]);
    }

    [Fact]
    public void Parse_QuotedStringWithEscapesAndCommas_IsUnescaped()
    {
        var challenge = Assert.Single(WwwAuthenticateParser.Parse("Bearer error_description=\"a \\\"quoted\\\", comma\\\\slash\", error=invalid_token"));

        Assert.Equal("a \"quoted\", comma\\slash", challenge.Parameters["error_description"]);
        Assert.Equal("invalid_token", challenge.Parameters["error"]);
    }

    [Fact]
    public void Parse_Token68_IsKeptApartFromParameters()
    {
        var challenges = WwwAuthenticateParser.Parse("Negotiate abc123+/==, Bearer error=\"insufficient_scope\"");

        Assert.Equal("abc123+/==", challenges[0].Token68);
        Assert.Empty(challenges[0].Parameters);
        Assert.Equal("insufficient_scope", challenges[1].Parameters["error"]);
    }

    [Fact]
    public void Parse_CaseInsensitiveNamesAndOptionalWhitespace()
    {
        var challenge = Assert.Single(WwwAuthenticateParser.Parse("bearer   ERROR = \"invalid_token\" ,  Realm=x"));

        Assert.Equal("invalid_token", challenge.Parameters["error"]);
        Assert.Equal("x", challenge.Parameters["realm"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",,,")]
    [InlineData("=\"\"")]
    [InlineData("Bearer error=\"unterminated")]
    [InlineData("\u0000\u0001 Bearer")]
    [InlineData("Bearer ,=,=,=")]
    [InlineData("@@@, Bearer error=invalid_token")]
    public void Parse_Garbage_DoesNotThrow(string header)
    {
        var challenges = WwwAuthenticateParser.Parse(header);

        Assert.NotNull(challenges);
    }

    [Fact]
    public void Parse_HugeHeader_IsCut()
    {
        var header = "Bearer realm=\"" + new string('x', 100_000) + "\"";

        var challenge = Assert.Single(WwwAuthenticateParser.Parse(header));

        Assert.True(challenge.Parameters["realm"].Length < WwwAuthenticateParser.MaxLength);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("Bearer", true)]
    [InlineData("Bearer realm=\"api\"", true)]
    [InlineData("Bearer error=\"invalid_token\"", true)]
    [InlineData("Bearer error=\"insufficient_scope\", scope=\"admin\"", false)]
    [InlineData("Bearer error=\"invalid_request\"", false)]
    [InlineData("Basic realm=\"x\"", true)]
    [InlineData("DPoP error=\"insufficient_scope\", Bearer error=\"invalid_token\"", true)]
    public void RefreshCanHelp_FollowsRfc6750(string? header, bool expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        if (header is not null)
        {
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);
        }

        Assert.Equal(expected, WwwAuthenticateParser.RefreshCanHelp(response.Headers, out _));
    }

    [Theory]
    [InlineData("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"", "use_dpop_nonce")]
    [InlineData("DPoP algs=\"ES256 PS256\", error=\"invalid_dpop_proof\"", "invalid_dpop_proof")]
    [InlineData("Bearer error=\"invalid_token\", DPoP error=\"use_dpop_nonce\"", "use_dpop_nonce")]
    [InlineData("dpop error=use_dpop_nonce", "use_dpop_nonce")]
    [InlineData("Bearer error=\"invalid_token\"", null)]
    [InlineData("DPoP algs=\"ES256\"", null)]
    public void DPoPError_ReadsOnlyTheDPoPChallenge(string header, string? expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);

        Assert.Equal(expected, WwwAuthenticateParser.DPoPError(response.Headers));
    }

    [Fact]
    public void DPoPError_BearerAndDPoPInSeparateHeaders_EachSchemeReadsItsOwnError()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer error=\"insufficient_scope\"");
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\"");

        Assert.Equal("use_dpop_nonce", WwwAuthenticateParser.DPoPError(response.Headers));
        Assert.False(WwwAuthenticateParser.RefreshCanHelp(response.Headers, out var bearerError));
        Assert.Equal("insufficient_scope", bearerError);
        Assert.False(WwwAuthenticateParser.RefreshCanHelp(response.Headers, WwwAuthenticateParser.DPoPScheme, out var dpopError));
        Assert.Equal("use_dpop_nonce", dpopError);
    }

    [Theory]
    [InlineData("DPoP error=\"use_dpop_nonce\"", false, "use_dpop_nonce")]
    [InlineData("DPoP error=\"invalid_dpop_proof\"", false, "invalid_dpop_proof")]
    [InlineData("DPoP error=\"insufficient_scope\"", false, "insufficient_scope")]
    [InlineData("DPoP error=\"invalid_token\"", true, "invalid_token")]
    [InlineData("Bearer error=\"insufficient_scope\"", true, null)]
    [InlineData("Bearer error=\"insufficient_scope\", DPoP error=\"invalid_token\"", true, "invalid_token")]
    [InlineData("DPoP algs=\"ES256\"", true, null)]
    public void RefreshCanHelp_DPoPScheme_ReadsOnlyTheDPoPChallenge(string header, bool expected, string? expectedError)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);

        Assert.Equal(expected, WwwAuthenticateParser.RefreshCanHelp(response.Headers, WwwAuthenticateParser.DPoPScheme, out var error));
        Assert.Equal(expectedError, error);
    }

    [Theory]
    [InlineData("DPoP error=\"use_dpop_nonce\"", true, null)]
    [InlineData("Bearer error=\"use_dpop_nonce\"", true, "use_dpop_nonce")]
    [InlineData("DPoP error=\"invalid_dpop_proof\", Bearer error=\"insufficient_scope\"", false, "insufficient_scope")]
    public void RefreshCanHelp_BearerScheme_IgnoresTheDPoPChallengeAndItsCodes(string header, bool expected, string? expectedError)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);

        Assert.Equal(expected, WwwAuthenticateParser.RefreshCanHelp(response.Headers, out var error));
        Assert.Equal(expectedError, error);
    }
}
