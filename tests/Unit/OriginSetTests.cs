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

    [Fact]
    public void Authorize_NoListedOrigins_PinsTheFirstRequestsOriginAndRefusesOthers()
    {
        var origins = new OriginSet([]);

        Assert.Equal(OriginDecision.Pinned, origins.Authorize(new Uri("https://api.example.com/v1/items?x=1")));
        Assert.Equal(OriginDecision.Allowed, origins.Authorize(new Uri("https://API.example.com:443/other")));
        Assert.Equal(OriginDecision.FirstRefused, origins.Authorize(new Uri("https://evil.test/")));
        Assert.Equal(OriginDecision.Refused, origins.Authorize(new Uri("https://api.example.com:8443/")));
        Assert.Equal(OriginDecision.Refused, origins.Authorize(new Uri("http://api.example.com/")));
        Assert.True(origins.IsAllowed(new Uri("https://api.example.com/x")));
        Assert.False(origins.IsAllowed(new Uri("https://evil.test/x")));
    }

    [Theory]
    [InlineData("http://api.example.com/")]
    [InlineData("ftp://api.example.com/")]
    public void Authorize_FirstRequestToAnInsecureOrigin_PinsNothing(string insecure)
    {
        var origins = new OriginSet([]);

        Assert.Equal(OriginDecision.FirstRefused, origins.Authorize(new Uri(insecure)));
        Assert.Equal(OriginDecision.Pinned, origins.Authorize(new Uri("http://127.0.0.1:8080/")));
        Assert.Equal(OriginDecision.Refused, origins.Authorize(new Uri(insecure)));
    }

    [Fact]
    public void Authorize_RelativeOrMissingFirstUri_PinsNothing()
    {
        var origins = new OriginSet([]);

        Assert.Equal(OriginDecision.FirstRefused, origins.Authorize(null));
        Assert.Equal(OriginDecision.Refused, origins.Authorize(new Uri("/relative", UriKind.Relative)));
        Assert.Equal(OriginDecision.Pinned, origins.Authorize(new Uri("https://api.example.com/")));
    }

    [Fact]
    public void IsAllowed_BeforeAnythingIsPinned_RefusesAndPinsNothing()
    {
        // Redirect hops and the 401 re-send ask IsAllowed: they must never pin an origin.
        var origins = new OriginSet([]);

        Assert.False(origins.IsAllowed(new Uri("https://evil.test/")));
        Assert.Equal(OriginDecision.Pinned, origins.Authorize(new Uri("https://api.example.com/")));
        Assert.False(origins.IsAllowed(new Uri("https://evil.test/")));
    }

    [Fact]
    public void Authorize_ListedOrigins_NeverPinsAnother()
    {
        var origins = new OriginSet([new Uri("https://api.example.com")]);

        Assert.Equal(OriginDecision.FirstRefused, origins.Authorize(new Uri("https://other.example.com/")));
        Assert.Equal(OriginDecision.Refused, origins.Authorize(new Uri("https://other.example.com/")));
        Assert.Equal(OriginDecision.Allowed, origins.Authorize(new Uri("https://api.example.com/")));
        Assert.False(origins.PinsFirstOrigin);
    }

    [Fact]
    public void Authorize_ConcurrentFirstRequestsToTwoOrigins_ExactlyOneOriginIsEverAllowed()
    {
        const int Threads = 8;
        const int Rounds = 200;
        for (var round = 0; round < Rounds; round++)
        {
            var origins = new OriginSet([]);
            var decisions = new OriginDecision[Threads];
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
            {
                var uri = new Uri(i % 2 == 0 ? "https://a.example.com/x" : "https://b.example.com/x");
                start.SignalAndWait();
                decisions[i] = origins.Authorize(uri);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Single(decisions, d => d == OriginDecision.Pinned);
            var winner = Array.IndexOf(decisions, OriginDecision.Pinned) % 2;
            for (var i = 0; i < Threads; i++)
            {
                var allowed = decisions[i] is OriginDecision.Pinned or OriginDecision.Allowed;
                Assert.Equal(i % 2 == winner, allowed);
            }

            Assert.True(origins.IsAllowed(new Uri(winner == 0 ? "https://a.example.com/y" : "https://b.example.com/y")));
            Assert.False(origins.IsAllowed(new Uri(winner == 0 ? "https://b.example.com/y" : "https://a.example.com/y")));
        }
    }

    [Fact]
    public void Authorize_AfterPinning_AllocatesNothing()
    {
        // The hot path after the first request: one reference compare, or one origin compare of
        // a new Uri instance; no parse, no allocation.
        var origins = new OriginSet([]);
        var first = new Uri("https://api.example.com/v1/items");
        var other = new Uri("https://api.example.com/v1/other");
        origins.Authorize(first);
        origins.Authorize(other);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            origins.Authorize(i % 2 == 0 ? first : other);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Theory]
    [InlineData("https://user:pw@api.example.com/v1?code=abc#f", "https://api.example.com")]
    [InlineData("http://127.0.0.1:8080/x?q=1", "http://127.0.0.1:8080")]
    [InlineData("https://[::1]:9443/x", "https://[::1]:9443")]
    public void Describe_KeepsSchemeHostAndPortOnly(string url, string expected)
    {
        Assert.Equal(expected, OriginSet.Describe(new Uri(url)));
    }
}
