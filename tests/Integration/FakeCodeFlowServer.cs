using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Web;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The authorization code flow on the host's WireMock authorization server: discovery (RFC 8414)
/// with the authorization endpoint, an authorize endpoint that answers 302 to the request's
/// redirect URI with a fresh code and the request's state (what a server does after the user
/// approves), and a token endpoint that redeems a code only when S256(code_verifier) equals the
/// code's challenge and redirect_uri equals the code's (RFC 7636 §4.6, RFC 6749 §4.1.3). It
/// records every authorize and token request as received.
/// </summary>
internal sealed class FakeCodeFlowServer
{
    public const string Access = "at-browser-" + AuthTestHost.SecretMarker;
    public const string Refresh = "rt-browser-" + AuthTestHost.SecretMarker;

    private readonly ConcurrentDictionary<string, NameValueCollection> _codes = new(StringComparer.Ordinal);
    private int _issued;

    public FakeCodeFlowServer(AuthTestHost host, bool authorizationEndpoint = true, bool advertiseIss = false, string[]? challengeMethods = null)
    {
        Issuer = host.Idp.Url!;
        var document = new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["token_endpoint"] = host.TokenEndpoint.ToString(),
            ["device_authorization_endpoint"] = host.DeviceEndpoint.ToString(),
        };
        if (authorizationEndpoint)
        {
            document["authorization_endpoint"] = Issuer + "/authorize";
        }

        if (advertiseIss)
        {
            document["authorization_response_iss_parameter_supported"] = true;
        }

        if (challengeMethods is not null)
        {
            document["code_challenge_methods_supported"] = challengeMethods;
        }

        host.Idp.Given(Request.Create().WithPath("/.well-known/oauth-authorization-server").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(document));
        host.Idp.Given(Request.Create().WithPath("/authorize").UsingGet())
            .RespondWith(Response.Create().WithCallback(Authorize));
        host.Idp.Given(Request.Create().WithPath("/token").UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithCallback(Token));
    }

    public string Issuer { get; }

    /// <summary>
    /// The redirect's query for an authorize request (its parameters in), by default the code and
    /// the request's state (and <see cref="SendIss"/>). A test replaces it to answer with an error,
    /// another state, no code...
    /// </summary>
    public Func<NameValueCollection, string, List<KeyValuePair<string, string>>>? RedirectQuery { get; set; }

    /// <summary>The <c>iss</c> sent on the redirect, or null for none.</summary>
    public string? SendIss { get; set; }

    /// <summary>The ID token's nonce: null echoes the authorize request's; <see cref="NoIdToken"/> sends none.</summary>
    public string? IdTokenNonce { get; set; }

    public bool NoIdToken { get; set; }

    /// <summary>When set, the token endpoint answers this to an authorization_code grant, whatever it carries.</summary>
    public (int Status, object Body)? TokenAnswer { get; set; }

    /// <summary>Every authorize request's parameters, as received.</summary>
    public ConcurrentQueue<NameValueCollection> AuthorizeRequests { get; } = new();

    /// <summary>Every authorization_code token request's form, as received, with the server's verdict.</summary>
    public ConcurrentQueue<(NameValueCollection Form, string Verdict)> CodeRedemptions { get; } = new();

    /// <summary>The RFC 7638 thumbprints of the DPoP proofs that came with code redemptions and verified (RFC 9449 §5).</summary>
    public ConcurrentQueue<string> ProofThumbprints { get; } = new();

    public static string S256(string verifier) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private ResponseMessage Authorize(IRequestMessage request)
    {
        var query = HttpUtility.ParseQueryString(request.RawQuery ?? string.Empty);
        AuthorizeRequests.Enqueue(query);
        var code = $"code-{Interlocked.Increment(ref _issued)}-{AuthTestHost.SecretMarker}";
        _codes[code] = query;
        var parameters = RedirectQuery?.Invoke(query, code) ?? Default(query, code);
        var location = query["redirect_uri"] + "?" + string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return new ResponseMessage
        {
            StatusCode = 302,
            Headers = new Dictionary<string, WireMockList<string>> { ["Location"] = new(location) },
        };
    }

    private List<KeyValuePair<string, string>> Default(NameValueCollection query, string code)
    {
        var parameters = new List<KeyValuePair<string, string>> { new("code", code), new("state", query["state"]!) };
        if (SendIss is not null)
        {
            parameters.Add(new("iss", SendIss));
        }

        return parameters;
    }

    private ResponseMessage Token(IRequestMessage request)
    {
        var form = HttpUtility.ParseQueryString(request.Body ?? string.Empty);
        if (form["grant_type"] != "authorization_code")
        {
            // The device flow's poll (the automatic choice's fallback): approved at once.
            return Json(200, AuthTestHost.Tokens("at-device-" + AuthTestHost.SecretMarker, "rt-device-" + AuthTestHost.SecretMarker));
        }

        var verdict = Verdict(form, out var authorize);
        string? thumbprint = null;
        if (verdict == "ok" && request.Headers?.FirstOrDefault(h => h.Key.Equals("DPoP", StringComparison.OrdinalIgnoreCase)).Value is { } proofs)
        {
            // RFC 9449 §10: a code bound to a key (dpop_jkt) is redeemed only with a proof of that key.
            thumbprint = VerifiedThumbprint(proofs, request.Url);
            verdict = thumbprint is null ? "DPoP proof did not verify"
                : authorize!["dpop_jkt"] is { } bound && bound != thumbprint ? "DPoP proof signed by another key than dpop_jkt"
                : verdict;
        }

        CodeRedemptions.Enqueue((form, verdict));
        if (TokenAnswer is { } answer)
        {
            return Json(answer.Status, answer.Body);
        }

        if (verdict != "ok")
        {
            return Json(400, new { error = "invalid_grant", error_description = verdict });
        }

        if (thumbprint is not null)
        {
            ProofThumbprints.Enqueue(thumbprint);
        }

        var tokens = new Dictionary<string, object> { ["access_token"] = Access, ["token_type"] = thumbprint is null ? "Bearer" : "DPoP", ["expires_in"] = 3600, ["refresh_token"] = Refresh };
        var nonce = IdTokenNonce ?? authorize!["nonce"];
        if (!NoIdToken && nonce is not null)
        {
            tokens["id_token"] = IdToken(new { iss = Issuer, sub = "user-1", aud = AuthTestHost.ClientId, nonce });
        }

        return Json(200, tokens);
    }

    /// <summary>The thumbprint of the one proof when it verifies for a POST to <paramref name="url"/> (signature over its own jwk, typ, htm, htu); else null.</summary>
    private static string? VerifiedThumbprint(WireMockList<string> proofs, string url)
    {
        try
        {
            var proof = Unit.DPoPProofVerifier.VerifyAsync(proofs.Single()).GetAwaiter().GetResult();
            using var jwk = JsonDocument.Parse(proof.JwkJson);
            return proof.Claim("htm") == "POST" && proof.Claim("htu") == url.Split('?')[0]
                ? Unit.DPoPProofVerifier.EcThumbprint(jwk.RootElement.GetProperty("x").GetString()!, jwk.RootElement.GetProperty("y").GetString()!)
                : null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    private string Verdict(NameValueCollection form, out NameValueCollection? authorize)
    {
        if (form["code"] is not { } code || !_codes.TryRemove(code, out authorize))
        {
            authorize = null;
            return "unknown or spent code";
        }

        if (form["code_verifier"] is not { } verifier || S256(verifier) != authorize["code_challenge"] || authorize["code_challenge_method"] != "S256")
        {
            return "PKCE verification failed";
        }

        return form["redirect_uri"] != authorize["redirect_uri"] ? "redirect_uri differs from the authorization request's" : "ok";
    }

    public static string IdToken(object claims)
    {
        static string Part(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("{\"alg\":\"none\"}"u8.ToArray()) + "." + Part(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".sig";
    }

    private static ResponseMessage Json(int status, object body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = JsonSerializer.Serialize(body), DetectedBodyType = BodyType.String },
    };
}
