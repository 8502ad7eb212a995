using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiClient.Demo;

/// <summary>
/// A small authorization server and protected API in this process, on a random loopback port
/// (Kestrel from the ASP.NET Core shared framework). It plays a real server's part in each step of
/// the demo: discovery (RFC 8414), the device flow (RFC 8628) approved by a simulated user after a
/// couple of seconds, refresh-token rotation with reuse rejected (RFC 9700 §4.14), revocation
/// (RFC 7009), and an API that accepts only currently valid access tokens and echoes the device
/// headers it received. It can invalidate tokens on demand, and counts refreshes.
/// DPoP (RFC 9449): a token request with a valid proof gets tokens bound to the proof's key
/// (<c>token_type=DPoP</c>), which the API then accepts only as <c>Authorization: DPoP</c> with a
/// valid proof by the same key; the API asks once for a nonce (<c>use_dpop_nonce</c>).
/// </summary>
internal sealed partial class DemoServer : IAsyncDisposable
{
    public const string ClientId = "demo-cli";
    public const string Scope = "api.read offline_access";
    public const string Subject = "demo-user";
    public const string ApiPath = "api/me";

    /// <summary>Every token and device code starts with this, so a test can check none is ever printed.</summary>
    public const string SecretPrefix = "demo-secret-";

    private const string DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8628 §6.1: consonants only, so user codes spell no words and are easy to type.</summary>
    private const string UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";

    private static readonly string[] GrantTypes = [DeviceCodeGrantType, "refresh_token", AuthorizationCodeGrantType];
    private static readonly string[] Scopes = Scope.Split(' ');
    private static readonly string[] ClientAuthenticationMethods = ["none"];
    private static readonly string[] DPoPAlgorithms = ["ES256"];

    private readonly WebApplication _app;
    private readonly DemoServerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PendingDeviceCode> _deviceCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IssuedToken> _refreshTokens = new(StringComparer.Ordinal);
    private readonly DPoPProofValidator _proofs;

    /// <summary>The nonce the API demands in DPoP proofs (RFC 9449 §9): one for the server's life, so the client meets it once.</summary>
    private readonly string _apiNonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private int _nonceChallenges;
    private int _refreshes;
    private int _apiCalls;
    private int _rejectedApiCalls;

    private DemoServer(WebApplication app, DemoServerSettings settings, TimeProvider time)
    {
        _app = app;
        _settings = settings;
        _time = time;
        _proofs = new DPoPProofValidator(time);
    }

    /// <summary>Gets the server's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets the issuer: the base address without the trailing slash.</summary>
    public string Authority => BaseAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>Gets how many refresh-token grants succeeded.</summary>
    public int Refreshes => Volatile.Read(ref _refreshes);

    /// <summary>Gets how many requests reached the API.</summary>
    public int ApiCalls => Volatile.Read(ref _apiCalls);

    /// <summary>Gets how many API requests were answered 401 (not counting the nonce challenges).</summary>
    public int RejectedApiCalls => Volatile.Read(ref _rejectedApiCalls);

    /// <summary>Gets how many DPoP proofs (token and API requests) passed every check.</summary>
    public int VerifiedProofs => _proofs.Verified;

    /// <summary>Gets how many API requests were answered <c>use_dpop_nonce</c>.</summary>
    public int NonceChallenges => Volatile.Read(ref _nonceChallenges);

    /// <summary>Gets the RFC 7638 thumbprint of the key the last tokens were issued to; null: bearer tokens.</summary>
    public string? LastBoundThumbprint { get; private set; }

    public static async Task<DemoServer> StartAsync(DemoServerSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedServerLifetime>();

        var app = builder.Build();
        var server = new DemoServer(app, settings, time);
        server.MapEndpoints();

        // Loopback only, on a port the OS picks: nothing is reachable from another machine.
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync(cancellationToken);
        server.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Makes the API reject every access token issued so far, as after a key rotation.</summary>
    public void InvalidateAccessTokens() => _accessTokens.Clear();

    /// <summary>Revokes the grant: every refresh token and access token issued so far.</summary>
    public void RevokeGrant()
    {
        _refreshTokens.Clear();
        _accessTokens.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void MapEndpoints()
    {
        _app.MapGet("/.well-known/oauth-authorization-server", DiscoveryAsync);
        _app.MapPost("/device", DeviceAuthorizationAsync);
        _app.MapGet("/activate", ActivateAsync);
        _app.MapPost("/token", TokenAsync);
        _app.MapPost("/revoke", RevokeAsync);
        _app.MapGet("/" + ApiPath, ApiAsync);
        MapCodeFlow();
    }

    private Task DiscoveryAsync(HttpContext context) => Json(context, StatusCodes.Status200OK, new Dictionary<string, object>
    {
        ["issuer"] = Authority,
        ["device_authorization_endpoint"] = Authority + "/device",
        ["token_endpoint"] = Authority + "/token",
        ["authorization_endpoint"] = Authority + AuthorizePath,
        ["code_challenge_methods_supported"] = CodeChallengeMethods,
        ["response_types_supported"] = ResponseTypes,
        ["authorization_response_iss_parameter_supported"] = true,
        ["revocation_endpoint"] = Authority + "/revoke",
        ["grant_types_supported"] = GrantTypes,
        ["scopes_supported"] = Scopes,
        ["token_endpoint_auth_methods_supported"] = ClientAuthenticationMethods,
        ["dpop_signing_alg_values_supported"] = DPoPAlgorithms,
    });

    private async Task DeviceAuthorizationAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["client_id"] != ClientId)
        {
            await Error(context, StatusCodes.Status401Unauthorized, "invalid_client");
            return;
        }

        var now = _time.GetUtcNow();
        var deviceCode = NewSecret("dc");
        var userCode = NewUserCode();
        _deviceCodes[deviceCode] = new PendingDeviceCode(userCode, now + _settings.ApprovalDelay, now + _settings.DeviceCodeLifetime);
        await Json(context, StatusCodes.Status200OK, new Dictionary<string, object>
        {
            ["device_code"] = deviceCode,
            ["user_code"] = userCode,
            ["verification_uri"] = Authority + "/activate",
            ["verification_uri_complete"] = Authority + "/activate?user_code=" + userCode,
            ["expires_in"] = (int)_settings.DeviceCodeLifetime.TotalSeconds,
            ["interval"] = (int)_settings.PollInterval.TotalSeconds,
        });
    }

    private Task ActivateAsync(HttpContext context)
    {
        var userCode = WebUtility.HtmlEncode(context.Request.Query["user_code"].ToString());
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(
            $"<!doctype html><title>AuthHandler demo</title><p>This is the ApiClient demo's embedded authorization server. " +
            $"It approves code <b>{userCode}</b> by itself {_settings.ApprovalDelay.TotalSeconds:0} s after issuing it, as a user would here. You can close this page.</p>",
            context.RequestAborted);
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["client_id"] != ClientId)
        {
            await Error(context, StatusCodes.Status401Unauthorized, "invalid_client");
            return;
        }

        // RFC 9449 §5: a proof, when sent, must be valid; the tokens are then bound to its key.
        string? jkt = null;
        if (context.Request.Headers.ContainsKey("DPoP"))
        {
            jkt = _proofs.Validate(context.Request, accessToken: null, nonce: null, out var problem);
            if (jkt is null)
            {
                await Error(context, StatusCodes.Status400BadRequest, "invalid_dpop_proof", "The DPoP proof is not valid: " + problem + ".");
                return;
            }
        }

        var now = _time.GetUtcNow();
        switch (form["grant_type"].ToString())
        {
            case DeviceCodeGrantType:
                var deviceCode = form["device_code"].ToString();
                if (!_deviceCodes.TryGetValue(deviceCode, out var pending))
                {
                    await Error(context, StatusCodes.Status400BadRequest, "invalid_grant");
                }
                else if (now >= pending.ExpiresAt)
                {
                    await Error(context, StatusCodes.Status400BadRequest, "expired_token");
                }
                else if (now < pending.ApproveAt)
                {
                    await Error(context, StatusCodes.Status400BadRequest, "authorization_pending");
                }
                else if (_deviceCodes.TryRemove(deviceCode, out _))
                {
                    await IssueTokensAsync(context, now, _settings.AccessTokenLifetime, jkt);
                }
                else
                {
                    // A device code is redeemed once.
                    await Error(context, StatusCodes.Status400BadRequest, "invalid_grant");
                }

                break;

            case "refresh_token":
                // A bound refresh token (a public client's, RFC 9449 §5) is redeemed only with a proof by its key.
                var refreshToken = form["refresh_token"].ToString();
                if (_refreshTokens.TryGetValue(refreshToken, out var issued) && issued.Thumbprint is not null && issued.Thumbprint != jkt)
                {
                    await Error(context, StatusCodes.Status400BadRequest, "invalid_dpop_proof", "The refresh token is DPoP-bound: a proof by its key is required.");
                    return;
                }

                // Rotation: each refresh token works once; a reused (or revoked) one is rejected.
                if (!_refreshTokens.TryRemove(refreshToken, out issued))
                {
                    await Error(context, StatusCodes.Status400BadRequest, "invalid_grant", "The refresh token was revoked or already used.");
                    return;
                }

                Interlocked.Increment(ref _refreshes);
                await IssueTokensAsync(context, now, _settings.RefreshedAccessTokenLifetime, issued.Thumbprint);
                break;

            case AuthorizationCodeGrantType:
                await RedeemAuthorizationCodeAsync(context, form, now, jkt);
                break;

            default:
                await Error(context, StatusCodes.Status400BadRequest, "unsupported_grant_type");
                break;
        }
    }

    private async Task RevokeAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var token = form["token"].ToString();
        _refreshTokens.TryRemove(token, out _);
        _accessTokens.TryRemove(token, out _);

        // RFC 7009 §2.2: 200 whether or not the token was valid.
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task ApiAsync(HttpContext context)
    {
        Interlocked.Increment(ref _apiCalls);
        var authorization = context.Request.Headers.Authorization.ToString();
        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? authorization[..space] : authorization;
        var token = space > 0 ? authorization[(space + 1)..] : string.Empty;
        var dpop = string.Equals(scheme, "DPoP", StringComparison.OrdinalIgnoreCase);
        var issued = _accessTokens.GetValueOrDefault(token);
        if ((!dpop && !string.Equals(scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
            || issued is null
            || issued.ExpiresAt <= _time.GetUtcNow()
            || (issued.Thumbprint is not null && !dpop))
        {
            // RFC 6750 §3.1 (RFC 9449 §7.1 for DPoP): a refresh can fix an invalid_token. A bound
            // token sent as a bearer token is refused too (RFC 9449 §7.2), in the DPoP scheme.
            await RejectAsync(context, dpop || issued?.Thumbprint is not null ? "DPoP" : "Bearer", "invalid_token");
            return;
        }

        if (dpop)
        {
            // The API's nonce (RFC 9449 §9): a proof without it is answered with it, once per client.
            context.Response.Headers["DPoP-Nonce"] = _apiNonce;
            var jkt = _proofs.Validate(context.Request, token, _apiNonce, out var problem);
            if (jkt is null && problem == "the proof does not carry the server's nonce")
            {
                Interlocked.Increment(ref _nonceChallenges);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "DPoP error=\"use_dpop_nonce\", algs=\"ES256\"";
                return;
            }

            // A proof by another key (or none, or a broken one) does not make the token usable.
            if (jkt is null || jkt != issued.Thumbprint)
            {
                await RejectAsync(context, "DPoP", "invalid_token");
                return;
            }
        }

        var deviceHeaders = context.Request.Headers
            .Where(header => header.Key.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        await Json(context, StatusCodes.Status200OK, new Dictionary<string, object>
        {
            ["subject"] = Subject,
            ["device_headers"] = deviceHeaders,
        });
    }

    private Task RejectAsync(HttpContext context, string scheme, string error)
    {
        Interlocked.Increment(ref _rejectedApiCalls);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = scheme == "DPoP"
            ? $"DPoP error=\"{error}\", algs=\"ES256\""
            : $"Bearer error=\"{error}\"";
        return Task.CompletedTask;
    }

    /// <param name="thumbprint">The key the tokens are bound to (a valid proof came with the request); null: bearer tokens.</param>
    private Task IssueTokensAsync(HttpContext context, DateTimeOffset now, TimeSpan lifetime, string? thumbprint)
    {
        var accessToken = NewSecret("at");
        var refreshToken = NewSecret("rt");
        _accessTokens[accessToken] = new IssuedToken(now + lifetime, thumbprint);
        _refreshTokens[refreshToken] = new IssuedToken(DateTimeOffset.MaxValue, thumbprint);
        LastBoundThumbprint = thumbprint;
        return Json(context, StatusCodes.Status200OK, new Dictionary<string, object>
        {
            ["access_token"] = accessToken,
            ["token_type"] = thumbprint is null ? "Bearer" : "DPoP",
            ["expires_in"] = (int)lifetime.TotalSeconds,
            ["refresh_token"] = refreshToken,
            ["scope"] = Scope,
        });
    }

    private static Task Error(HttpContext context, int status, string error, string? description = null)
    {
        var body = new Dictionary<string, object> { ["error"] = error };
        if (description is not null)
        {
            body["error_description"] = description;
        }

        return Json(context, status, body);
    }

    private static Task Json(HttpContext context, int status, Dictionary<string, object> body)
    {
        context.Response.StatusCode = status;

        // RFC 6749 §5.1: token responses must not be cached.
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(body, context.RequestAborted);
    }

    private static string NewSecret(string kind) =>
        SecretPrefix + kind + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>An issued token: until when, and the thumbprint of the key it is bound to (null: a bearer token).</summary>
    private sealed record IssuedToken(DateTimeOffset ExpiresAt, string? Thumbprint);

    private static string NewUserCode()
    {
        var letters = RandomNumberGenerator.GetItems<char>(UserCodeAlphabet, 8);
        return string.Create(CultureInfo.InvariantCulture, $"{new string(letters, 0, 4)}-{new string(letters, 4, 4)}");
    }
}
