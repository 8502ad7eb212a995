using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AuthHandler.Browser.Internal;

/// <summary>
/// The page the listener answers the browser with: self-contained HTML (no script, no external
/// resource; the one inline style allowed by its hash in a strict CSP), every server string
/// sanitised and HTML-encoded.
/// </summary>
internal sealed class LandingPage
{
    private const string Style = "body{font-family:system-ui,sans-serif;margin:3em auto;max-width:36em;padding:0 1em;color:#222}h1{font-size:1.4em}p.detail{color:#555}";

    /// <summary>Nothing may load, run, frame the page or be submitted; only the page's own style applies.</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private LandingPage(int statusCode, string title, string message, string? detail)
    {
        StatusCode = statusCode;
        Title = title;
        Message = message;
        Detail = detail;
    }

    public int StatusCode { get; }

    public string Title { get; }

    public string Message { get; }

    public string? Detail { get; }

    public static LandingPage Succeeded { get; } = new(200, "Signed in", "Sign-in finished. You can close this tab and return to the application.", null);

    public static LandingPage AlreadyFinished { get; } = new(409, "Sign-in already finished", "This sign-in has already finished; this request changes nothing. You can close this tab.", null);

    public static LandingPage NotFound { get; } = new(404, "Not found", "There is nothing here.", null);

    public static LandingPage MethodNotAllowed { get; } = new(405, "Method not allowed", "Only GET is answered here.", null);

    public static LandingPage BadRequest { get; } = new(400, "Bad request", "The request could not be read.", null);

    /// <summary>A failure page; <paramref name="detail"/> is already sanitised (control and format characters dropped, bounded) and is HTML-encoded here.</summary>
    public static LandingPage Failed(string message, string? detail) => new(400, "Sign-in failed", message, detail);

    public byte[] Render()
    {
        var html = new StringBuilder(1024)
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>")
            .Append(WebUtility.HtmlEncode(Title))
            .Append("</title><style>").Append(Style).Append("</style></head><body><h1>")
            .Append(WebUtility.HtmlEncode(Title))
            .Append("</h1><p>")
            .Append(WebUtility.HtmlEncode(Message))
            .Append("</p>");
        if (Detail is not null)
        {
            html.Append("<p class=\"detail\">").Append(WebUtility.HtmlEncode(Detail)).Append("</p>");
        }

        return Encoding.UTF8.GetBytes(html.Append("</body></html>").ToString());
    }
}
