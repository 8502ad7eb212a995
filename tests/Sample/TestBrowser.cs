using System.Text.RegularExpressions;
using System.Web;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// The test's stand-in for the user's browser in a browser sign-in: it takes the authorization URL
/// the sample printed, and sends the requests a browser would (the page, the form post, the redirect
/// to the sample's loopback listener). Loopback only; it never follows a redirect by itself.
/// </summary>
internal sealed partial class TestBrowser : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The authorization URL in a line of the sample's text output, or null.</summary>
    public static Uri? AuthorizationUrlIn(string line) =>
        AuthorizationLine().Match(line) is { Success: true } match ? new Uri(match.Groups[1].Value) : null;

    /// <summary>A query parameter of <paramref name="url"/>.</summary>
    public static string Parameter(Uri url, string name) => HttpUtility.ParseQueryString(url.Query)[name] ?? string.Empty;

    /// <summary>What an authorization server's 302 would do: the browser GETs the redirect URI with <paramref name="parameters"/> and the request's state.</summary>
    public async Task<HttpResponseMessage> RedirectBackAsync(Uri authorizationUrl, params (string Name, string Value)[] parameters)
    {
        var query = string.Join('&', parameters.Append((Name: "state", Value: Parameter(authorizationUrl, "state"))).Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
        return await GetAsync(new Uri(Parameter(authorizationUrl, "redirect_uri") + "?" + query));
    }

    public async Task<HttpResponseMessage> GetAsync(Uri url)
    {
        Assert.True(url.IsLoopback, $"The test browser only goes to loopback: {url}");
        return await _http.GetAsync(url, TestContext.Current.CancellationToken);
    }

    public async Task<HttpResponseMessage> PostFormAsync(Uri url, params (string Name, string Value)[] fields)
    {
        Assert.True(url.IsLoopback, $"The test browser only goes to loopback: {url}");
        using var content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        return await _http.PostAsync(url, content, TestContext.Current.CancellationToken);
    }

    /// <summary>The CSRF value in the demo's Approve/Deny page.</summary>
    public static string Csrf(string page) => CsrfField().Match(page) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("No CSRF field in the page:\n" + page);

    public void Dispose() => _http.Dispose();

    [GeneratedRegex(@"open (http://\S+/authorize\?\S+) if it does not open by itself\.$")]
    private static partial Regex AuthorizationLine();

    [GeneratedRegex("name=\"csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
