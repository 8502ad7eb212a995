using System.Net;
using System.Text.RegularExpressions;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// Walks <see cref="LoopbackAuthorizationServer"/>'s login and consent forms with an HttpClient that
/// follows no redirect (the hidden fields read back from each page), for the server's own tests
/// that need no browser. The browser tests use <see cref="Chromium"/> instead.
/// </summary>
internal sealed partial class FormClient : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _server;

    public FormClient(LoopbackAuthorizationServer server) => _server = server.BaseAddress;

    public HttpClient Http => _http;

    /// <summary>
    /// GET <paramref name="authorizationUrl"/>, log in, answer the consent form with <paramref name="decision"/>;
    /// returns the last response (the redirect, or the page shown instead). <paramref name="csrf"/> replaces
    /// the consent form's hidden csrf field when given.
    /// </summary>
    public async Task<HttpResponseMessage> SignInAsync(Uri authorizationUrl, string decision = "allow", string? csrf = null)
    {
        using var authorize = await _http.GetAsync(authorizationUrl, TestContext.Current.CancellationToken);
        var login = await PostFormAsync(LoopbackAuthorizationServer.LoginPath, await HiddenFieldsAsync(authorize), new()
        {
            [LoopbackAuthorizationServer.UsernameField] = LoopbackAuthorizationServer.Username,
            [LoopbackAuthorizationServer.PasswordField] = LoopbackAuthorizationServer.Password,
        });
        var fields = await HiddenFieldsAsync(login);
        login.Dispose();
        if (csrf is not null)
        {
            fields["csrf"] = csrf;
        }

        return await PostFormAsync(LoopbackAuthorizationServer.ConsentPath, fields, new() { ["decision"] = decision });
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> hidden, Dictionary<string, string> fields)
    {
        foreach (var field in fields)
        {
            hidden[field.Key] = field.Value;
        }

        return await _http.PostAsync(new Uri(_server, path), new FormUrlEncodedContent(hidden), TestContext.Current.CancellationToken);
    }

    private static async Task<Dictionary<string, string>> HiddenFieldsAsync(HttpResponseMessage page)
    {
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return HiddenField().Matches(html).ToDictionary(match => match.Groups[1].Value, match => WebUtility.HtmlDecode(match.Groups[2].Value), StringComparer.Ordinal);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([a-z]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();
}
