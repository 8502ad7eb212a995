using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class AccessTokenSyntaxTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")]
    [InlineData("AZaz09-._~+/")]
    [InlineData("abc=")]
    [InlineData("abc==")]
    public void IsValid_B64Token_IsTrue(string token) => Assert.True(AccessTokenSyntax.IsValid(token));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("=")]
    [InlineData("==")]
    [InlineData("a=b")]
    [InlineData("at with space")]
    [InlineData(" at")]
    [InlineData("at\r\nX-Injected: yes")]
    [InlineData("at\n")]
    [InlineData("at\t")]
    [InlineData("at\u0000")]
    [InlineData("t\u00f8ken")]
    [InlineData("at\"")]
    [InlineData("at,b")]
    [InlineData("at;b")]
    [InlineData("at:b")]
    public void IsValid_AnythingElse_IsFalse(string? token) => Assert.False(AccessTokenSyntax.IsValid(token));

    [Theory]
    [InlineData("Bearer", true)]
    [InlineData("bearer", true)]
    [InlineData("BEARER", true)]
    [InlineData("mac", false)]
    [InlineData("DPoP", false)]
    [InlineData("Bearer ", false)]
    [InlineData("Bearer\r\nX: y", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsSupportedType_OnlyBearerInAnyCase_IsTrue(string? type, bool expected) =>
        Assert.Equal(expected, AccessTokenSyntax.IsSupportedType(type));
}
