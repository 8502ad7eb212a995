using System.Net;
using AuthHandler.Http.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class RedirectPolicyTests
{
    private static readonly Uri Current = new("https://api.example.com/v1/items?page=2");

    [Theory]
    [InlineData(300, true)]
    [InlineData(301, true)]
    [InlineData(302, true)]
    [InlineData(303, true)]
    [InlineData(307, true)]
    [InlineData(308, true)]
    [InlineData(304, false)]
    [InlineData(305, false)]
    [InlineData(200, false)]
    [InlineData(401, false)]
    public void IsRedirect_Status_IsTheSetSocketsHttpHandlerFollows(int status, bool expected) =>
        Assert.Equal(expected, RedirectPolicy.IsRedirect((HttpStatusCode)status));

    [Theory]
    [InlineData("/other", "https://api.example.com/other")]
    [InlineData("sibling?x=1", "https://api.example.com/v1/sibling?x=1")]
    [InlineData("../up", "https://api.example.com/up")]
    [InlineData("//cdn.example.com/file", "https://cdn.example.com/file")]
    [InlineData("?page=3", "https://api.example.com/v1/items?page=3")]
    [InlineData("http://other.example.com:8080/x", "http://other.example.com:8080/x")]
    public void ResolveLocation_Reference_ResolvesAgainstTheCurrentUri(string location, string expected)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Found);
        response.Headers.TryAddWithoutValidation("Location", location);

        Assert.Equal(new Uri(expected), RedirectPolicy.ResolveLocation(Current, response.Headers.Location));
    }

    [Fact]
    public void ResolveLocation_NoLocation_IsNull() => Assert.Null(RedirectPolicy.ResolveLocation(Current, null));

    [Fact]
    public void ResolveLocation_TargetWithoutFragment_InheritsTheRequestFragment() =>
        Assert.Equal("https://api.example.com/next#part", RedirectPolicy.ResolveLocation(new Uri("https://api.example.com/page#part"), new Uri("/next", UriKind.Relative))!.AbsoluteUri);

    [Fact]
    public void ResolveLocation_TargetWithItsOwnFragment_KeepsIt() =>
        Assert.Equal("https://api.example.com/next#own", RedirectPolicy.ResolveLocation(new Uri("https://api.example.com/page#part"), new Uri("/next#own", UriKind.Relative))!.AbsoluteUri);

    [Theory]
    [InlineData("https://a.example.com/", "http://a.example.com/", true)]
    [InlineData("https://a.example.com/", "http://127.0.0.1/", true)]
    [InlineData("https://a.example.com/", "https://b.example.com/", false)]
    [InlineData("http://a.example.com/", "https://a.example.com/", false)]
    [InlineData("http://a.example.com/", "http://b.example.com/", false)]
    public void IsDowngrade_HttpsToHttp_IsTheOnlyDowngrade(string from, string to, bool expected) =>
        Assert.Equal(expected, RedirectPolicy.IsDowngrade(new Uri(from), new Uri(to)));

    [Theory]
    [InlineData(303, "POST", "GET")]
    [InlineData(303, "PUT", "GET")]
    [InlineData(303, "DELETE", "GET")]
    [InlineData(303, "GET", "GET")]
    [InlineData(303, "HEAD", "HEAD")]
    [InlineData(301, "POST", "GET")]
    [InlineData(302, "POST", "GET")]
    [InlineData(300, "POST", "GET")]
    [InlineData(301, "PUT", "PUT")]
    [InlineData(302, "DELETE", "DELETE")]
    [InlineData(302, "HEAD", "HEAD")]
    [InlineData(307, "POST", "POST")]
    [InlineData(308, "POST", "POST")]
    [InlineData(307, "PATCH", "PATCH")]
    public void NextMethod_StatusAndMethod_FollowsRfc9110(int status, string method, string expected) =>
        Assert.Equal(new HttpMethod(expected), RedirectPolicy.NextMethod((HttpStatusCode)status, new HttpMethod(method)));

    [Fact]
    public void Evaluate_HttpsToHttp_IsRefusedAsDowngrade()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://api.example.com/data");
        using var response = Redirect(302, "http://api.example.com/data");

        Assert.Equal(RedirectRefusal.Downgrade, RedirectPolicy.Evaluate(request, response, out _, out _));
    }

    [Theory]
    [InlineData("ftp://files.example.com/x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("javascript:alert(1)")]
    public void Evaluate_NotHttp_IsRefused(string location)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://api.example.com/data");
        using var response = Redirect(302, location);

        Assert.Equal(RedirectRefusal.UnsupportedScheme, RedirectPolicy.Evaluate(request, response, out _, out _));
    }

    [Fact]
    public void Evaluate_NoLocation_IsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://api.example.com/data");
        using var response = new HttpResponseMessage(HttpStatusCode.MultipleChoices);

        Assert.Equal(RedirectRefusal.NoLocation, RedirectPolicy.Evaluate(request, response, out var target, out _));
        Assert.Null(target);
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public void Evaluate_KeptMethodWithStreamBody_IsRefused(int status)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/upload") { Content = new StreamContent(new MemoryStream([1, 2, 3])) };
        using var response = Redirect(status, "/upload2");

        Assert.Equal(RedirectRefusal.BodyCannotBeResent, RedirectPolicy.Evaluate(request, response, out _, out _));
    }

    [Fact]
    public void Evaluate_KeptMethodWithBufferedBody_IsFollowedWithTheSameMethod()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/upload") { Content = new StringContent("payload") };
        using var response = Redirect(307, "/upload2");

        Assert.Equal(RedirectRefusal.None, RedirectPolicy.Evaluate(request, response, out var target, out var method));
        Assert.Equal(new Uri("https://api.example.com/upload2"), target);
        Assert.Equal(HttpMethod.Post, method);
    }

    [Fact]
    public void Evaluate_PostWithStreamBodyAnswered303_IsFollowedAsGet()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/submit") { Content = new StreamContent(new MemoryStream([1])) };
        using var response = Redirect(303, "/result");

        Assert.Equal(RedirectRefusal.None, RedirectPolicy.Evaluate(request, response, out _, out var method));
        Assert.Equal(HttpMethod.Get, method);
    }

    [Fact]
    public void Apply_ChangeToGet_DropsBodyAndCredentialsAndSetsTheTarget()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/submit") { Content = new StringContent("payload") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer x");
        request.Headers.TryAddWithoutValidation("X-Api-Token", "Bearer x");
        request.Headers.TryAddWithoutValidation("X-Other", "kept");
        request.Headers.TransferEncodingChunked = true;

        RedirectPolicy.Apply(request, new Uri("https://api.example.com/result"), HttpMethod.Get, "X-Api-Token");

        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Null(request.Content);
        Assert.NotEqual(true, request.Headers.TransferEncodingChunked);
        Assert.Equal(new Uri("https://api.example.com/result"), request.RequestUri);
        Assert.Equal(["X-Other"], request.Headers.Select(h => h.Key));
    }

    [Fact]
    public void Apply_KeptMethod_KeepsTheBody()
    {
        using var content = new StringContent("payload");
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/upload") { Content = content };

        RedirectPolicy.Apply(request, new Uri("https://api.example.com/upload2"), HttpMethod.Post, "Authorization");

        Assert.Same(content, request.Content);
    }

    [Fact]
    public void RemoveDeviceHeaders_OursAndTheAppsOwn_RemovesOnlyOurValues()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://api.example.com/");
        request.Headers.TryAddWithoutValidation("X-Device-Id", "ours-id");
        request.Headers.TryAddWithoutValidation("X-Device-Name", "the-apps-own-name");
        request.Headers.TryAddWithoutValidation("X-Other", "kept");

        RedirectPolicy.RemoveDeviceHeaders(request, [new("X-Device-Id", "ours-id"), new("X-Device-Name", "host"), new("X-Device-Platform", "cli")]);

        Assert.Equal(["X-Device-Name", "X-Other"], request.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
    }

    private static HttpResponseMessage Redirect(int status, string location)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status);
        response.Headers.TryAddWithoutValidation("Location", location);
        return response;
    }
}
