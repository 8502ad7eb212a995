using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class AccessTokenSyntaxTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("AZaz09-._~+/")]
    [InlineData("abc==")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig")]
    public void IsValid_B64token_IsTrue(string token)
    {
        Assert.True(AccessTokenSyntax.IsValid(token));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("=")]
    [InlineData("a=b")]
    [InlineData("a b")]
    [InlineData(" a")]
    [InlineData("a\r\nX: y")]
    [InlineData("a\tb")]
    [InlineData("t\u00f6k")]
    [InlineData("a\"b")]
    [InlineData("a,b")]
    [InlineData("a;b")]
    public void IsValid_AnythingElse_IsFalse(string? token)
    {
        Assert.False(AccessTokenSyntax.IsValid(token));
    }

    [Theory]
    [InlineData("Bearer", true)]
    [InlineData("bearer", true)]
    [InlineData("bEaReR", true)]
    [InlineData("mac", false)]
    [InlineData("DPoP", false)]
    [InlineData("Bearer ", false)]
    [InlineData(null, false)]
    public void IsSupportedType_OnlyBearerInAnyCase(string? type, bool expected)
    {
        Assert.Equal(expected, AccessTokenSyntax.IsSupportedType(type));
    }
}
