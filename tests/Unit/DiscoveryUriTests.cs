using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class DiscoveryUriTests
{
    [Theory]
    [InlineData("https://id.example.com", "https://id.example.com/.well-known/oauth-authorization-server", "https://id.example.com/.well-known/openid-configuration")]
    [InlineData("https://id.example.com/", "https://id.example.com/.well-known/oauth-authorization-server", "https://id.example.com/.well-known/openid-configuration")]
    [InlineData("https://id.example.com/tenant/1", "https://id.example.com/.well-known/oauth-authorization-server/tenant/1", "https://id.example.com/tenant/1/.well-known/openid-configuration")]
    public void WellKnownUris_FollowRfc8414AndOidc(string authority, string rfc8414, string oidc)
    {
        var uris = DiscoveryClient.WellKnownUris(new Uri(authority));

        Assert.Equal([new Uri(rfc8414), new Uri(oidc)], uris);
    }
}
