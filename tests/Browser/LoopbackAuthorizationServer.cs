using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// An authorization server on 127.0.0.1 (Kestrel, port 0) with a real HTML login and consent form,
/// for the authorization code flow with PKCE on a loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252,
/// RFC 9207's <c>iss</c>). One registered public client (<see cref="ClientId"/>) and one user
/// (<see cref="Username"/>, <see cref="Password"/>). Every request it receives is recorded
/// (<see cref="Requests"/>), every token request's checks too (<see cref="TokenRequests"/>), and every
/// token set it issued (<see cref="IssuedTokens"/>), so tests assert on what this side received.
/// The <c>Tamper…</c>, <c>NeverRedirect</c> and <c>…Error</c> knobs make it misbehave; set them before the
/// request they should affect.
/// </summary>
internal sealed class LoopbackAuthorizationServer : IAsyncDisposable
{
    public const string ClientId = "browser-test-client";
    public const string Username = "alice";
    public const string Password = "correct horse battery staple";
    public const string Subject = "user-alice";

    public const string AuthorizePath = "/authorize";
    public const string LoginPath = "/login";
    public const string ConsentPath = "/consent";
    public const string TokenPath = "/token";
    public const string DeviceAuthorizationPath = "/device_authorization";

    /// <summary>A protected-resource stand-in: answers 200 to any GET; its Authorization header is recorded in <see cref="Requests"/>.</summary>
    public const string ApiPath = "/api/data";

    /// <summary>The ids (and names) of the form elements, used by <see cref="Chromium"/>.</summary>
    public const string UsernameField = "username";
    public const string PasswordField = "password";
    public const string SignInButton = "sign-in";
    public const string AllowButton = "allow";
    public const string DenyButton = "deny";
    public const string ErrorElement = "error";

    /// <summary>The text of the page shown instead of the redirect when <see cref="NeverRedirect"/> is set.</summary>
    public const string HeldPageText = "Please wait while we finish signing you in";

    private const int MaxPending = 64;
    private const int MaxRecorded = 1000;

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly byte[] _idTokenKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, PendingAuthorization> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedCode> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<TokenRequestRecord> _tokenRequests = new();
    private readonly ConcurrentQueue<IssuedTokenSet> _issued = new();
    private readonly ConcurrentQueue<string> _proofThumbprints = new();

    private LoopbackAuthorizationServer(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    /// <summary>The origin, e.g. http://127.0.0.1:41234 — also the <see cref="Issuer"/>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The issuer identifier: the origin without a trailing slash.</summary>
    public string Issuer => BaseAddress.GetLeftPart(UriPartial.Authority);

    public Uri MetadataAddress => new(BaseAddress, "/.well-known/oauth-authorization-server");

    public Uri AuthorizationEndpoint => new(BaseAddress, AuthorizePath);

    public Uri TokenEndpoint => new(BaseAddress, TokenPath);

    /// <summary>The HS256 key of the id tokens, for a test that verifies their signature.</summary>
    public ReadOnlyMemory<byte> IdTokenKey => _idTokenKey;

    /// <summary>Access token lifetime in seconds (<c>expires_in</c>).</summary>
    public int AccessTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>The redirect after consent carries a <c>state</c> other than the client's.</summary>
    public bool TamperState { get; set; }

    /// <summary>The redirect carries an <c>iss</c> other than <see cref="Issuer"/> (RFC 9207 mix-up).</summary>
    public bool TamperIss { get; set; }

    /// <summary>The redirect carries no <c>iss</c>, although the metadata advertises it.</summary>
    public bool OmitIss { get; set; }

    /// <summary>The successful redirect carries no <c>code</c>.</summary>
    public bool OmitCode { get; set; }

    /// <summary>After Allow, a page is shown and the browser is never redirected (the client's wait times out).</summary>
    public bool NeverRedirect { get; set; }

    /// <summary>When set, GET /authorize redirects straight back with this <c>error</c> (e.g. <c>server_error</c>).</summary>
    public string? AuthorizeError { get; set; }

    /// <summary>When set, every token request is answered 400 with this <c>error</c> (e.g. <c>invalid_grant</c>).</summary>
    public string? TokenError { get; set; }

    /// <summary>The id token carries a <c>nonce</c> other than the one of the authorization request.</summary>
    public bool TamperNonce { get; set; }

    /// <summary>Every request received, in order (query and form parameters, a few headers).</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Every token request with the checks it passed.</summary>
    public IReadOnlyList<TokenRequestRecord> TokenRequests => [.. _tokenRequests];

    /// <summary>
    /// The RFC 7638 thumbprint of the key of every DPoP proof the token endpoint verified (RFC 9449 §4.3),
    /// in order: a token request with a valid proof (and, when the authorization request carried
    /// <c>dpop_jkt</c>, a proof of that key) is answered <c>token_type=DPoP</c>.
    /// </summary>
    public IReadOnlyList<string> ProofThumbprints => [.. _proofThumbprints];

    /// <summary>Every token set issued, in order.</summary>
    public IReadOnlyList<IssuedTokenSet> IssuedTokens => [.. _issued];

    public static async Task<LoopbackAuthorizationServer> StartAsync(TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxConcurrentConnections = 64;
        });
        var app = builder.Build();
        var server = new LoopbackAuthorizationServer(app, time ?? TimeProvider.System);

        app.Use(async (context, next) =>
        {
            await server.RecordAsync(context);
            await next(context);
        });
        Func<HttpContext, IResult> metadata = server.Metadata;
        Func<HttpContext, IResult> authorize = server.Authorize;
        Func<HttpContext, Task<IResult>> login = server.LoginAsync;
        Func<HttpContext, Task<IResult>> consent = server.ConsentAsync;
        Func<HttpContext, Task<IResult>> token = server.TokenAsync;
        app.MapGet("/.well-known/oauth-authorization-server", metadata);
        app.MapGet("/.well-known/openid-configuration", metadata);
        app.MapGet(AuthorizePath, authorize);
        app.MapPost(LoginPath, login);
        app.MapPost(ConsentPath, consent);
        app.MapPost(TokenPath, token);
        app.MapGet(ApiPath, () => Results.Text("ok"));
        app.MapPost(DeviceAuthorizationPath, () => OAuthError("unsupported_grant_type", "this server only serves the authorization code flow"));
        await app.StartAsync();

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        if (!IPAddress.IsLoopback(IPAddress.Parse(address.Host)))
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"Kestrel must listen on loopback only, not {address}.");
        }

        server.BaseAddress = address;
        return server;
    }

    /// <summary>
    /// An authorization URL for <see cref="ClientId"/> with PKCE S256; other parameters as given
    /// (<paramref name="scope"/> and <paramref name="nonce"/> left out when null).
    /// </summary>
    public Uri AuthorizationUrl(Uri redirectUri, string state, string codeChallenge, string? scope = "openid profile", string? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = ClientId,
            ["redirect_uri"] = redirectUri.AbsoluteUri,
            ["state"] = state,
            ["code_challenge"] = codeChallenge,
            ["code_challenge_method"] = "S256",
        };
        if (scope is not null)
        {
            parameters["scope"] = scope;
        }

        if (nonce is not null)
        {
            parameters["nonce"] = nonce;
        }

        return new Uri(QueryHelpers.AddQueryString(AuthorizationEndpoint.AbsoluteUri, parameters));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>
    /// Verifies an RFC 9449 §4.3 proof: a <c>dpop+jwt</c> signed ES256 by the P-256 <c>jwk</c> in its
    /// header, with a <c>jti</c>, <c>iat</c>, and <c>htm</c>/<c>htu</c> equal to <paramref name="method"/> and
    /// <paramref name="target"/> (without query). Gives the key's RFC 7638 thumbprint and the claims.
    /// </summary>
    public static bool TryVerifyProof(string proof, string method, Uri target, out string thumbprint, out Dictionary<string, string> claims)
    {
        ArgumentNullException.ThrowIfNull(proof);
        ArgumentNullException.ThrowIfNull(target);
        thumbprint = string.Empty;
        claims = new Dictionary<string, string>(StringComparer.Ordinal);
        var parts = proof.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(WebEncoders.Base64UrlDecode(parts[0]));
            using var payload = JsonDocument.Parse(WebEncoders.Base64UrlDecode(parts[1]));
            var h = header.RootElement;
            if (h.GetProperty("typ").GetString() != "dpop+jwt" || h.GetProperty("alg").GetString() != "ES256")
            {
                return false;
            }

            var jwk = h.GetProperty("jwk");
            if (jwk.GetProperty("kty").GetString() != "EC" || jwk.GetProperty("crv").GetString() != "P-256" || jwk.TryGetProperty("d", out _))
            {
                return false;
            }

            var x = jwk.GetProperty("x").GetString()!;
            var y = jwk.GetProperty("y").GetString()!;
            using var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = WebEncoders.Base64UrlDecode(x), Y = WebEncoders.Base64UrlDecode(y) },
            });
            if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), WebEncoders.Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256))
            {
                return false;
            }

            foreach (var claim in payload.RootElement.EnumerateObject())
            {
                claims[claim.Name] = claim.Value.ValueKind == JsonValueKind.String ? claim.Value.GetString()! : claim.Value.GetRawText();
            }

            if (!claims.ContainsKey("jti") || !claims.ContainsKey("iat")
                || claims.GetValueOrDefault("htm") != method
                || claims.GetValueOrDefault("htu") != target.GetLeftPart(UriPartial.Path))
            {
                return false;
            }

            // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
            thumbprint = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).</summary>
    public static string CodeChallengeS256(string codeVerifier) =>
        WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));

    /// <summary>A fresh 43-character RFC 7636 code verifier (32 random bytes).</summary>
    public static string NewCodeVerifier() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private async Task RecordAsync(HttpContext context)
    {
        var request = context.Request;
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.HasFormContentType)
        {
            form = Flatten(await request.ReadFormAsync(context.RequestAborted));
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in new[] { "Authorization", "Content-Type", "Accept", "DPoP", "Cookie", "Origin", "Referer" })
        {
            if (request.Headers.TryGetValue(name, out var value))
            {
                headers[name] = value.ToString();
            }
        }

        if (_requests.Count < MaxRecorded)
        {
            _requests.Enqueue(new RecordedRequest(request.Method, request.Path.Value ?? string.Empty, Flatten(request.Query), form, headers));
        }
    }

    private IResult Metadata(HttpContext context) => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = AuthorizationEndpoint.AbsoluteUri,
        ["token_endpoint"] = TokenEndpoint.AbsoluteUri,
        ["device_authorization_endpoint"] = new Uri(BaseAddress, DeviceAuthorizationPath).AbsoluteUri,
        ["response_types_supported"] = new[] { "code" },
        ["grant_types_supported"] = new[] { "authorization_code", "refresh_token" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["token_endpoint_auth_methods_supported"] = new[] { "none" },
        ["scopes_supported"] = new[] { "openid", "profile", "offline_access" },
        ["authorization_response_iss_parameter_supported"] = true,
    });

    private IResult Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        // RFC 6749 §4.1.2.1: an unknown client or a bad redirect URI is shown to the user, never redirected to.
        if (query["client_id"] != ClientId)
        {
            return ErrorPage("Unknown client_id.");
        }

        if (!IsLoopbackRedirect(query["redirect_uri"], out var redirectUri))
        {
            return ErrorPage("redirect_uri must be http://127.0.0.1:{port}/… or http://[::1]:{port}/… (RFC 8252 §7.3).");
        }

        string state = query["state"].ToString();
        if (query["response_type"] != "code")
        {
            return RedirectWithError(redirectUri, "unsupported_response_type", state);
        }

        if (query["code_challenge_method"] != "S256" || !IsCodeChallenge(query["code_challenge"]))
        {
            return RedirectWithError(redirectUri, "invalid_request", state, "PKCE with code_challenge_method S256 is required");
        }

        if (AuthorizeError is { } error)
        {
            return RedirectWithError(redirectUri, error, state);
        }

        if (_pending.Count >= MaxPending)
        {
            return ErrorPage("Too many sign-ins in progress.");
        }

        var pending = new PendingAuthorization(
            NewSecret(),
            NewSecret(),
            redirectUri,
            state,
            query["nonce"].ToString() is { Length: > 0 } nonce ? nonce : null,
            query["code_challenge"].ToString(),
            query["scope"].ToString(),
            query["dpop_jkt"].ToString() is { Length: > 0 } jkt ? jkt : null);
        _pending[pending.Transaction] = pending;
        return LoginPage(pending, error: null);
    }

    private async Task<IResult> LoginAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!TryGetPending(form, out var pending) || pending.Stage != Stage.Login)
        {
            return ErrorPage("This sign-in is not in progress or the form was not ours.");
        }

        if (form[UsernameField] != Username || form[PasswordField] != Password)
        {
            return LoginPage(pending, "Wrong username or password.");
        }

        pending.Stage = Stage.Consent;
        pending.Csrf = NewSecret();
        return ConsentPage(pending);
    }

    private async Task<IResult> ConsentAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!TryGetPending(form, out var pending) || pending.Stage != Stage.Consent)
        {
            return ErrorPage("This sign-in is not in progress or the form was not ours.");
        }

        _pending.TryRemove(pending.Transaction, out _);
        var state = TamperState ? pending.State + "-tampered" : pending.State;
        if (form["decision"] != "allow")
        {
            return RedirectWithError(pending.RedirectUri, "access_denied", state, "the user denied the request");
        }

        if (NeverRedirect)
        {
            return Html(HeldPageText, "<p>" + HeldPageText + ".</p>");
        }

        var code = NewSecret();
        _codes[code] = new IssuedCode(pending.RedirectUri, pending.CodeChallenge, pending.Scope, pending.Nonce, pending.DPoPJkt);
        var parameters = new Dictionary<string, string?>();
        if (!OmitCode)
        {
            parameters["code"] = code;
        }

        parameters["state"] = state;
        AddIss(parameters);
        return Results.Redirect(QueryHelpers.AddQueryString(pending.RedirectUri.AbsoluteUri, parameters));
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var grantType = form["grant_type"].ToString();
        var clientId = form["client_id"].ToString();
        if (TokenError is { } forced)
        {
            return Record(new TokenRequestRecord(grantType, clientId, null, null, forced), OAuthError(forced, "the test asked for this error"));
        }

        if (clientId != ClientId)
        {
            return Record(new TokenRequestRecord(grantType, clientId, null, null, "invalid_client"), OAuthError("invalid_client", "unknown client", StatusCodes.Status401Unauthorized));
        }

        switch (grantType)
        {
            case "authorization_code":
                // Single use: removed on the first redemption, whatever its outcome (RFC 6749 §4.1.2).
                if (!_codes.TryRemove(form["code"].ToString(), out var issued))
                {
                    return Record(new TokenRequestRecord(grantType, clientId, null, null, "invalid_grant"), OAuthError("invalid_grant", "unknown or used code"));
                }

                var redirectMatches = form["redirect_uri"] == issued.RedirectUri.AbsoluteUri;
                var verifier = form["code_verifier"].ToString();
                var pkce = IsCodeVerifier(verifier)
                    && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CodeChallengeS256(verifier)), Encoding.ASCII.GetBytes(issued.CodeChallenge));
                if (!redirectMatches || !pkce)
                {
                    return Record(new TokenRequestRecord(grantType, clientId, redirectMatches, pkce, "invalid_grant"), OAuthError("invalid_grant", redirectMatches ? "PKCE verification failed" : "redirect_uri differs"));
                }

                // RFC 9449 §4.3, §10: a proof, when sent, must verify and, for a code bound with dpop_jkt, be of that key.
                var dpop = context.Request.Headers["DPoP"];
                string? thumbprint = null;
                if (dpop.Count > 0 || issued.DPoPJkt is not null)
                {
                    if (dpop.Count != 1 || !TryVerifyProof(dpop.ToString(), HttpMethods.Post, TokenEndpoint, out thumbprint, out _)
                        || (issued.DPoPJkt is not null && thumbprint != issued.DPoPJkt))
                    {
                        return Record(new TokenRequestRecord(grantType, clientId, true, true, "invalid_dpop_proof"), OAuthError("invalid_dpop_proof", "no valid proof of the code's key"));
                    }

                    _proofThumbprints.Enqueue(thumbprint!);
                }

                return Record(new TokenRequestRecord(grantType, clientId, true, true, null), IssueTokens(issued, withIdToken: true, dpop: thumbprint is not null));

            case "refresh_token":
                // Rotated: the old refresh token is spent.
                if (!_refreshTokens.TryRemove(form["refresh_token"].ToString(), out var grant))
                {
                    return Record(new TokenRequestRecord(grantType, clientId, null, null, "invalid_grant"), OAuthError("invalid_grant", "unknown or used refresh token"));
                }

                return Record(new TokenRequestRecord(grantType, clientId, null, null, null), IssueTokens(grant, withIdToken: false));

            default:
                return Record(new TokenRequestRecord(grantType, clientId, null, null, "unsupported_grant_type"), OAuthError("unsupported_grant_type", "authorization_code or refresh_token"));
        }
    }

    private IResult Record(TokenRequestRecord record, IResult result)
    {
        if (_tokenRequests.Count < MaxRecorded)
        {
            _tokenRequests.Enqueue(record);
        }

        return result;
    }

    private IResult IssueTokens(IssuedCode grant, bool withIdToken, bool dpop = false)
    {
        var scopes = grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var idToken = withIdToken && scopes.Contains("openid", StringComparer.Ordinal) ? IdToken(grant.Nonce) : null;
        var tokens = new IssuedTokenSet("at-" + NewSecret(), "rt-" + NewSecret(), idToken);
        _refreshTokens[tokens.RefreshToken] = grant;
        _issued.Enqueue(tokens);
        var body = new Dictionary<string, object>
        {
            ["access_token"] = tokens.AccessToken,
            ["token_type"] = dpop ? "DPoP" : "Bearer",
            ["expires_in"] = AccessTokenLifetimeSeconds,
            ["refresh_token"] = tokens.RefreshToken,
            ["scope"] = grant.Scope,
        };
        if (idToken is not null)
        {
            body["id_token"] = idToken;
        }

        return Results.Json(body, statusCode: StatusCodes.Status200OK);
    }

    /// <summary>An HS256 JWT (key <see cref="IdTokenKey"/>) with iss, aud, sub, iat, exp and the request's nonce.</summary>
    private string IdToken(string? nonce)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = ClientId,
            ["sub"] = Subject,
            ["iat"] = now,
            ["exp"] = now + 600,
        };
        if (nonce is not null)
        {
            claims["nonce"] = TamperNonce ? nonce + "-tampered" : nonce;
        }

        var header = WebEncoders.Base64UrlEncode("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_idTokenKey, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private void AddIss(Dictionary<string, string?> parameters)
    {
        if (!OmitIss)
        {
            parameters["iss"] = TamperIss ? "http://127.0.0.1:1" : Issuer;
        }
    }

    private IResult RedirectWithError(Uri redirectUri, string error, string state, string? description = null)
    {
        var parameters = new Dictionary<string, string?> { ["error"] = error };
        if (description is not null)
        {
            parameters["error_description"] = description;
        }

        if (state.Length > 0)
        {
            parameters["state"] = state;
        }

        AddIss(parameters);
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri.AbsoluteUri, parameters));
    }

    private bool TryGetPending(IFormCollection form, out PendingAuthorization pending)
    {
        pending = null!;
        if (!_pending.TryGetValue(form["tx"].ToString(), out var found))
        {
            return false;
        }

        // The hidden csrf field must be the one this server put in the form it served last for this sign-in.
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(form["csrf"].ToString()), Encoding.ASCII.GetBytes(found.Csrf)))
        {
            return false;
        }

        pending = found;
        return true;
    }

    /// <summary>RFC 8252 §7.3: http, an IP loopback literal, an explicit port (any), no user info or fragment.</summary>
    private static bool IsLoopbackRedirect(StringValues value, out Uri redirectUri)
    {
        redirectUri = null!;
        if (value.Count != 1 || !Uri.TryCreate(value.ToString(), UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttp || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0 || uri.IsDefaultPort
            || uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) || !IPAddress.IsLoopback(address)
            || (address.AddressFamily == AddressFamily.InterNetwork && !address.Equals(IPAddress.Loopback)))
        {
            return false;
        }

        redirectUri = uri;
        return true;
    }

    /// <summary>RFC 7636 §4.2: S256 challenges are 43 base64url characters.</summary>
    private static bool IsCodeChallenge(StringValues value) =>
        value.Count == 1 && value.ToString() is { Length: 43 } challenge && challenge.All(IsUnreservedBase64Url);

    /// <summary>RFC 7636 §4.1: 43 to 128 unreserved characters.</summary>
    private static bool IsCodeVerifier(string verifier) =>
        verifier.Length is >= 43 and <= 128 && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    private static bool IsUnreservedBase64Url(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    private static Dictionary<string, string> Flatten(IEnumerable<KeyValuePair<string, StringValues>> values) =>
        values.ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.Ordinal);

    private static IResult LoginPage(PendingAuthorization pending, string? error)
    {
        var message = error is null ? string.Empty : $"""<p id="{ErrorElement}" role="alert">{Encode(error)}</p>""";
        return Html("Sign in", $"""
            <h1>Sign in to the test server</h1>
            {message}
            <form method="post" action="{LoginPath}">
              <input type="hidden" name="tx" value="{Encode(pending.Transaction)}">
              <input type="hidden" name="csrf" value="{Encode(pending.Csrf)}">
              <label for="{UsernameField}">Username</label>
              <input id="{UsernameField}" name="{UsernameField}" type="text" autocomplete="username" required>
              <label for="{PasswordField}">Password</label>
              <input id="{PasswordField}" name="{PasswordField}" type="password" autocomplete="current-password" required>
              <button id="{SignInButton}" type="submit">Sign in</button>
            </form>
            """);
    }

    private static IResult ConsentPage(PendingAuthorization pending) => Html("Allow access?", $"""
        <h1>Allow {Encode(ClientId)} to access your account?</h1>
        <p>Signed in as {Encode(Username)}. Requested scopes: {Encode(pending.Scope)}</p>
        <form method="post" action="{ConsentPath}">
          <input type="hidden" name="tx" value="{Encode(pending.Transaction)}">
          <input type="hidden" name="csrf" value="{Encode(pending.Csrf)}">
          <button id="{AllowButton}" name="decision" value="allow" type="submit">Allow</button>
          <button id="{DenyButton}" name="decision" value="deny" type="submit">Deny</button>
        </form>
        """);

    private static IResult ErrorPage(string message) =>
        Html("Sign-in error", $"""<h1>Sign-in error</h1><p id="{ErrorElement}" role="alert">{Encode(message)}</p>""", StatusCodes.Status400BadRequest);

    private static IResult Html(string title, string body, int statusCode = StatusCodes.Status200OK) => Results.Content(
        $"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{Encode(title)}</title></head><body>{body}</body></html>""",
        "text/html; charset=utf-8",
        Encoding.UTF8,
        statusCode);

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);

    private static IResult OAuthError(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }, statusCode: status);

    private enum Stage
    {
        Login,
        Consent,
    }

    private sealed class PendingAuthorization(string transaction, string csrf, Uri redirectUri, string state, string? nonce, string codeChallenge, string scope, string? dpopJkt)
    {
        public string? DPoPJkt { get; } = dpopJkt;

        public string Transaction { get; } = transaction;

        public string Csrf { get; set; } = csrf;

        public Uri RedirectUri { get; } = redirectUri;

        public string State { get; } = state;

        public string? Nonce { get; } = nonce;

        public string CodeChallenge { get; } = codeChallenge;

        public string Scope { get; } = scope;

        public Stage Stage { get; set; } = Stage.Login;
    }

    private sealed record IssuedCode(Uri RedirectUri, string CodeChallenge, string Scope, string? Nonce, string? DPoPJkt);
}
