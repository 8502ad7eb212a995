using System.Net;
using AuthHandler.Protocol.DPoP.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class DPoPNonceCacheTests
{
    [Fact]
    public void Get_SameOriginOtherPathQueryOrDefaultPort_ReturnsTheRememberedNonce()
    {
        var cache = new DPoPNonceCache();

        Assert.True(cache.Remember(new Uri("https://as.example.com/token"), "n-1"));

        Assert.Equal("n-1", cache.Get(new Uri("https://as.example.com/other?x=1#f")));
        Assert.Equal("n-1", cache.Get(new Uri("HTTPS://AS.example.com:443/")));
        Assert.Equal("n-1", cache.Get(new Uri("https://user:pw@as.example.com/")));
    }

    [Theory]
    [InlineData("http://as.example.com/token")]
    [InlineData("https://as.example.com:8443/token")]
    [InlineData("https://api.example.com/token")]
    [InlineData("https://example.com/token")]
    public void Get_OtherOrigin_ReturnsNull(string other)
    {
        var cache = new DPoPNonceCache();
        cache.Remember(new Uri("https://as.example.com/token"), "n-1");

        Assert.Null(cache.Get(new Uri(other)));
    }

    [Fact]
    public void Remember_NewNonceForTheSameOrigin_ReplacesTheOldOne()
    {
        var cache = new DPoPNonceCache();
        cache.Remember(new Uri("https://as.example.com/token"), "n-1");

        cache.Remember(new Uri("https://as.example.com/device"), "n-2");

        Assert.Equal("n-2", cache.Get(new Uri("https://as.example.com/token")));
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("quote\"d")]
    [InlineData("back\\slash")]
    [InlineData("line\r\nInjected: 1")]
    [InlineData("tab\t")]
    [InlineData("caf\u00e9")]
    [InlineData("\u0000")]
    [InlineData("del\u007f")]
    public void Remember_InvalidNonce_IsIgnoredAndTheOldOneKept(string? nonce)
    {
        var cache = new DPoPNonceCache();
        var origin = new Uri("https://as.example.com/token");
        cache.Remember(origin, "n-1");

        Assert.False(cache.Remember(origin, nonce));

        Assert.Equal("n-1", cache.Get(origin));
    }

    [Fact]
    public void IsValidNonce_EveryNqcharAndTheLengthBound_FollowsRfc9449Section8()
    {
        var every = string.Concat(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(c => (char)c).Where(c => c is not ('"' or '\\')));

        Assert.True(DPoPNonceCache.IsValidNonce(every));
        Assert.True(DPoPNonceCache.IsValidNonce(new string('n', DPoPNonceCache.MaxNonceLength)));
        Assert.False(DPoPNonceCache.IsValidNonce(new string('n', DPoPNonceCache.MaxNonceLength + 1)));
    }

    [Fact]
    public void Remember_MoreOriginsThanTheBound_KeepsTheNewestMaxOrigins()
    {
        var cache = new DPoPNonceCache();

        for (var i = 0; i < DPoPNonceCache.MaxOrigins + 10; i++)
        {
            Assert.True(cache.Remember(new Uri($"https://host{i}.example.com/"), $"n-{i}"));
        }

        Assert.Equal(DPoPNonceCache.MaxOrigins, cache.Count);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Null(cache.Get(new Uri($"https://host{i}.example.com/"))));
        Assert.All(Enumerable.Range(10, DPoPNonceCache.MaxOrigins), i => Assert.Equal($"n-{i}", cache.Get(new Uri($"https://host{i}.example.com/"))));
    }

    [Fact]
    public void Remember_KnownOriginAtTheBound_EvictsNothing()
    {
        var cache = new DPoPNonceCache();
        for (var i = 0; i < DPoPNonceCache.MaxOrigins; i++)
        {
            cache.Remember(new Uri($"https://host{i}.example.com/"), $"n-{i}");
        }

        cache.Remember(new Uri("https://host0.example.com/"), "n-new");

        Assert.Equal(DPoPNonceCache.MaxOrigins, cache.Count);
        Assert.Equal("n-new", cache.Get(new Uri("https://host0.example.com/")));
        Assert.Equal("n-1", cache.Get(new Uri("https://host1.example.com/")));
    }

    [Fact]
    public async Task Remember_ConcurrentWritersOnManyOrigins_StaysWithinTheBound()
    {
        var cache = new DPoPNonceCache();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var uri = new Uri($"https://host{(i * 7 + writer) % 200}.example.com/");
                cache.Remember(uri, $"n-{writer}-{i}");
                _ = cache.Get(uri);
            }
        }, TestContext.Current.CancellationToken)));

        Assert.InRange(cache.Count, 1, DPoPNonceCache.MaxOrigins);
    }

    [Fact]
    public void Remember_ResponseWithOneDPoPNonceHeader_RemembersIt()
    {
        var cache = new DPoPNonceCache();
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("DPoP-Nonce", "eyJ7S_zG.9qtj");

        Assert.True(cache.Remember(new Uri("https://api.example.com/items"), response.Headers));

        Assert.Equal("eyJ7S_zG.9qtj", cache.Get(new Uri("https://api.example.com/")));
    }

    [Fact]
    public void Remember_ResponseWithTwoOrNoDPoPNonceHeaders_RemembersNothing()
    {
        var cache = new DPoPNonceCache();
        using var two = new HttpResponseMessage(HttpStatusCode.OK);
        two.Headers.TryAddWithoutValidation("DPoP-Nonce", ["n-1", "n-2"]);
        using var none = new HttpResponseMessage(HttpStatusCode.OK);

        Assert.False(cache.Remember(new Uri("https://api.example.com/"), two.Headers));
        Assert.False(cache.Remember(new Uri("https://api.example.com/"), none.Headers));

        Assert.Null(cache.Get(new Uri("https://api.example.com/")));
    }

    [Fact]
    public void Remember_ResponseWithAnInvalidDPoPNonceHeader_DoesNotThrowAndRemembersNothing()
    {
        var cache = new DPoPNonceCache();
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest);
        response.Headers.TryAddWithoutValidation("DPoP-Nonce", "a \"b\"");

        Assert.False(cache.Remember(new Uri("https://api.example.com/"), response.Headers));

        Assert.Equal(0, cache.Count);
    }
}
