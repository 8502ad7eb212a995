using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ApiClient.Demo;

/// <summary>
/// The embedded server's authorization code flow (RFC 6749 §4.1) for the browser sign-in, as
/// RFC 8252 and RFC 9700 ask of a server for native apps: the redirect URI must be a loopback
/// http one (any port), PKCE S256 is required, <c>state</c> is echoed, and the redirect names the
/// issuer (RFC 9207 <c>iss</c>). <c>GET /authorize</c> shows a small page with Approve and Deny
/// (a form POST carrying a one-time CSRF value, which also names the pending request); the answer
/// is a 302 to the redirect URI. The code is redeemed once, with the same redirect URI and the PKCE
/// verifier, for the same kind of tokens as the device flow (rotation and revocation unchanged); a
/// code requested with <c>dpop_jkt</c> (RFC 9449 §10) only with a DPoP proof by that key.
/// </summary>
internal sealed partial class DemoServer
{
    private const string AuthorizationCodeGrantType = "authorization_code";
    private const string AuthorizePath = "/authorize";

    /// <summary>How long the Approve/Deny page stays answerable: as long as the library's listener waits by default.</summary>
    private static readonly TimeSpan PageLifetime = TimeSpan.FromMinutes(5);

    private static readonly string[] CodeChallengeMethods = ["S256"];
    private static readonly string[] ResponseTypes = ["code"];

    /// <summary>Pages shown and not yet answered, by their CSRF value.</summary>
    private readonly ConcurrentDictionary<string, AuthorizationRequest> _authorizationRequests = new(StringComparer.Ordinal);

    /// <summary>Codes issued and not yet redeemed.</summary>
    private readonly ConcurrentDictionary<string, (AuthorizationRequest Request, DateTimeOffset ExpiresAt)> _authorizationCodes = new(StringComparer.Ordinal);

    /// <summary>Gets how many authorization codes were redeemed for tokens.</summary>
    public int RedeemedAuthorizationCodes => Volatile.Read(ref _redeemedAuthorizationCodes);

    private int _redeemedAuthorizationCodes;

    private void MapCodeFlow()
    {
        _app.MapGet(AuthorizePath, AuthorizeAsync);
        _app.MapPost(AuthorizePath, DecideAsync);
    }

    private async Task AuthorizeAsync(HttpContext context)
    {
        var query = context.Request.Query;

        // RFC 6749 §4.1.2.1: with an unknown client or redirect URI, tell the user, never redirect.
        if (query["client_id"] != ClientId)
        {
            await Page(context, StatusCodes.Status400BadRequest, "<p>Unknown client.</p>");
            return;
        }

        if (!IsLoopbackRedirect(query["redirect_uri"].ToString(), out var redirectUri))
        {
            await Page(context, StatusCodes.Status400BadRequest, "<p>The redirect URI must be a loopback http URI (http://127.0.0.1:port/… or http://[::1]:port/…).</p>");
            return;
        }

        var state = query["state"].ToString();
        var challenge = query["code_challenge"].ToString();
        string? problem = query["response_type"] != "code" ? "unsupported_response_type"
            : query["code_challenge_method"] != "S256" || challenge.Length != 43 || !challenge.All(IsBase64UrlCharacter) ? "invalid_request"
            : state.Length == 0 ? "invalid_request"
            : null;
        if (problem is not null)
        {
            Redirect(context, redirectUri, new() { ["error"] = problem, ["state"] = state });
            return;
        }

        var dpopJkt = query["dpop_jkt"].ToString();
        var request = new AuthorizationRequest(redirectUri, state, challenge, dpopJkt.Length > 0 ? dpopJkt : null, _time.GetUtcNow() + PageLifetime);
        if (_settings.AutoApprove)
        {
            // The demo-only switch: approved at once, as if the user had pressed Approve.
            Approve(context, request);
            return;
        }

        var csrf = NewSecret("csrf");
        _authorizationRequests[csrf] = request;
        await Page(
            context,
            StatusCodes.Status200OK,
            $"""
            <p>The app <b>{WebUtility.HtmlEncode(ClientId)}</b> asks to sign in as <b>{WebUtility.HtmlEncode(Subject)}</b> with the scope <code>{WebUtility.HtmlEncode(Scope)}</code>,
            and to send the answer to <code>{WebUtility.HtmlEncode(redirectUri.GetLeftPart(UriPartial.Authority))}</code> on this computer.</p>
            <form method="post" action="{AuthorizePath}">
            <input type="hidden" name="csrf" value="{WebUtility.HtmlEncode(csrf)}">
            <button type="submit" name="decision" value="approve">Approve</button>
            <button type="submit" name="decision" value="deny">Deny</button>
            </form>
            """);
    }

    private async Task DecideAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);

        // Single use: a second POST of the same page, or a forged one without the page's value, finds nothing.
        if (!_authorizationRequests.TryRemove(form["csrf"].ToString(), out var request) || _time.GetUtcNow() >= request.ExpiresAt)
        {
            await Page(context, StatusCodes.Status400BadRequest, "<p>This sign-in page has expired or was already answered. Start the sign-in again in the app.</p>");
            return;
        }

        if (form["decision"] == "approve")
        {
            Approve(context, request);
        }
        else
        {
            Redirect(context, request.RedirectUri, new() { ["error"] = "access_denied", ["state"] = request.State });
        }
    }

    private void Approve(HttpContext context, AuthorizationRequest request)
    {
        var code = NewSecret("ac");
        _authorizationCodes[code] = (request, _time.GetUtcNow() + _settings.AuthorizationCodeLifetime);
        Redirect(context, request.RedirectUri, new() { ["code"] = code, ["state"] = request.State });
    }

    private async Task RedeemAuthorizationCodeAsync(HttpContext context, IFormCollection form, DateTimeOffset now, string? jkt)
    {
        // Single use (RFC 6749 §4.1.2): removed on the first attempt, whatever its outcome.
        if (!_authorizationCodes.TryRemove(form["code"].ToString(), out var issued) || now >= issued.ExpiresAt)
        {
            await Error(context, StatusCodes.Status400BadRequest, "invalid_grant", "The authorization code is unknown, expired or already used.");
            return;
        }

        if (form["redirect_uri"] != issued.Request.RedirectUri.AbsoluteUri)
        {
            await Error(context, StatusCodes.Status400BadRequest, "invalid_grant", "The redirect URI is not the one the code was issued for.");
            return;
        }

        // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) must be the challenge.
        var verifier = form["code_verifier"].ToString();
        var computed = Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        if (verifier.Length is < 43 or > 128
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(issued.Request.CodeChallenge)))
        {
            await Error(context, StatusCodes.Status400BadRequest, "invalid_grant", "The PKCE code verifier does not match the code challenge.");
            return;
        }

        // RFC 9449 §10: a code bound to a key (dpop_jkt) is redeemed only with a proof by that key.
        if (issued.Request.DPoPThumbprint is { } bound && bound != jkt)
        {
            await Error(context, StatusCodes.Status400BadRequest, "invalid_dpop_proof", "The authorization code is bound to another DPoP key.");
            return;
        }

        Interlocked.Increment(ref _redeemedAuthorizationCodes);
        await IssueTokensAsync(context, now, _settings.AccessTokenLifetime, jkt);
    }

    /// <summary>RFC 8252 §7.3 and §8.3: http on 127.0.0.1 or [::1] (any port), no fragment.</summary>
    private static bool IsLoopbackRedirect(string value, out Uri redirectUri)
    {
        redirectUri = null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || uri.Scheme != Uri.UriSchemeHttp
            || uri.Fragment.Length > 0
            || uri.UserInfo.Length > 0
            || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            || !IPAddress.IsLoopback(address))
        {
            return false;
        }

        redirectUri = uri;
        return true;
    }

    private static bool IsBase64UrlCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    /// <summary>The 302 to the app's redirect URI, with the issuer (RFC 9207) on every answer.</summary>
    private void Redirect(HttpContext context, Uri redirectUri, Dictionary<string, string?> parameters)
    {
        parameters["iss"] = Authority;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(QueryHelpers.AddQueryString(redirectUri.AbsoluteUri, parameters));
    }

    private static Task Page(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";

        // No other site may frame the Approve button (clickjacking).
        context.Response.Headers.XFrameOptions = "DENY";
        context.Response.Headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        return context.Response.WriteAsync(
            $"<!doctype html><meta charset=\"utf-8\"><title>AuthHandler demo: sign in</title><h1>AuthHandler demo sign-in</h1>{body}",
            context.RequestAborted);
    }

    /// <summary>A validated authorization request, waiting for the user or for its code's redemption.</summary>
    private sealed record AuthorizationRequest(Uri RedirectUri, string State, string CodeChallenge, string? DPoPThumbprint, DateTimeOffset ExpiresAt);
}
