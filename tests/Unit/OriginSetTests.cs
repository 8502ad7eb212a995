using AuthHandler.Http.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class OriginSetTests
{
    private static readonly OriginSet Origins = new([new Uri("https://api.example.com"), new Uri("http://127.0.0.1:8080")]);

    [Theory]
    [InlineData("https://api.example.com/v1/items?x=1", true)]
    [InlineData("https://API.EXAMPLE.COM:443/", true)]
    [InlineData("http://api.example.com/", false)]
    [InlineData("https://api.example.com:8443/", false)]
    [InlineData("https://api.example.com.evil.test/", false)]
    [InlineData("https://evil.test/?u=https://api.example.com", false)]
    [InlineData("https://user@api.example.com/", true)]
    [InlineData("http://127.0.0.1:8080/x", true)]
    [InlineData("http://127.0.0.1:8081/x", false)]
    public void IsAllowed_MatchesSchemeHostAndPort(string url, bool expected)
    {
        Assert.Equal(expected, Origins.IsAllowed(new Uri(url)));
    }

    [Fact]
    public void IsAllowed_AfterAnAllowedUri_StillRefusesOtherOrigins()
    {
        // The set remembers the last allowed Uri instance; that must not allow anything else.
        var origins = new OriginSet([new Uri("https://api.example.com")]);
        var allowed = new Uri("https://api.example.com/v1/items");

        Assert.True(origins.IsAllowed(allowed));
        Assert.True(origins.IsAllowed(allowed));
        Assert.False(origins.IsAllowed(new Uri("https://evil.test/v1/items")));
        Assert.False(origins.IsAllowed(new Uri("http://api.example.com/v1/items")));
        Assert.False(origins.IsAllowed(null));
        Assert.True(origins.IsAllowed(new Uri("https://api.example.com/other")));
    }

    [Fact]
    public void IsAllowed_RelativeOrMissingUri_IsFalse()
    {
        Assert.False(Origins.IsAllowed(null));
        Assert.False(Origins.IsAllowed(new Uri("/relative", UriKind.Relative)));
    }

    [Theory]
    [InlineData("https://files.example.com", true)]
    [InlineData("https://files.example.com/", true)]
    [InlineData("https://files.example.com:9443", true)]
    [InlineData("https://files.example.com/path", false)]
    [InlineData("https://files.example.com/?q", false)]
    [InlineData("ftp://files.example.com", false)]
    [InlineData("files.example.com", false)]
    public void TryParseOrigin_AcceptsOnlyOrigins(string value, bool expected)
    {
        Assert.Equal(expected, OriginSet.TryParseOrigin(value) is not null);
    }

    [Theory]
    [InlineData("https://id.example.com", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://127.0.0.1", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://id.example.com", false)]
    public void IsSecure_RequiresHttpsExceptLoopback(string url, bool expected)
    {
        Assert.Equal(expected, OriginSet.IsSecure(new Uri(url)));
    }
}
