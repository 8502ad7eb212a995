using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Soak;

/// <summary>
/// A token endpoint and a protected API in one Kestrel app on 127.0.0.1. The token endpoint
/// serves the refresh grant with rotation (each refresh token works once; RFC 9700 §4.14) and
/// answers a share of its calls with an injected 503 before it looks at the request, as an
/// overloaded server that did not process it would. The API accepts only access tokens that this
/// server issued and that have not expired.
/// </summary>
/// <remarks>
/// Tokens are signed rather than stored, so the server's own memory does not grow with the run
/// (it shares the process whose working set the soak reports). Nothing but an injected fault
/// answers 503, which is how the soak tells injected failures from real ones.
/// </remarks>
internal sealed class FakeAuthorizationServer : IAsyncDisposable
{
    public const string ApiPath = "/api/data";
    public const string TokenPath = "/token";
    public const string InjectedFaultBody = "injected fault";

    private readonly WebApplication _app;
    private readonly TimeSpan _lifetime;
    private readonly double _faultRate;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    // The generation of the one refresh token that is valid now; older ones were rotated away.
    private long _generation;
    private long _tokenCalls;
    private long _injectedFaults;
    private long _refreshed;
    private long _reusedRefreshTokens;
    private long _badRefreshTokens;
    private long _apiAccepted;
    private long _apiExpired;
    private long _apiInvalid;

    private FakeAuthorizationServer(WebApplication app, TimeSpan lifetime, double faultRate, int seed)
    {
        _app = app;
        _lifetime = lifetime;
        _faultRate = faultRate;
        _random = new Random(seed);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public int Port => BaseAddress.Port;

    public long TokenCalls => Interlocked.Read(ref _tokenCalls);

    public long InjectedFaults => Interlocked.Read(ref _injectedFaults);

    public long Refreshed => Interlocked.Read(ref _refreshed);

    public long ReusedRefreshTokens => Interlocked.Read(ref _reusedRefreshTokens);

    public long BadRefreshTokens => Interlocked.Read(ref _badRefreshTokens);

    public long ApiAccepted => Interlocked.Read(ref _apiAccepted);

    /// <summary>API calls that carried a token this server issued but that had expired (answered 401).</summary>
    public long ApiExpired => Interlocked.Read(ref _apiExpired);

    /// <summary>API calls with no token or one this server never issued (answered 401).</summary>
    public long ApiInvalid => Interlocked.Read(ref _apiInvalid);

    public static async Task<FakeAuthorizationServer> StartAsync(TimeSpan lifetime, double faultRate, int seed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeAuthorizationServer(app, lifetime, faultRate, seed);
        // Typed as Func, not RequestDelegate, so that the returned IResult is written.
        Func<HttpContext, Task<IResult>> token = server.TokenAsync;
        Func<HttpContext, IResult> api = server.Api;
        app.MapPost(TokenPath, token);
        app.MapGet(ApiPath, api);
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

    /// <summary>What a device sign-in would have left in the store: a fresh grant.</summary>
    public (string AccessToken, string RefreshToken) IssueInitialGrant()
    {
        lock (_gate)
        {
            return (AccessToken(_generation), RefreshToken(_generation));
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenCalls);
        bool inject;
        lock (_gate)
        {
            inject = _random.NextDouble() < _faultRate;
        }

        if (inject)
        {
            // Before reading the request: the refresh token was not redeemed, so a retry is safe.
            Interlocked.Increment(ref _injectedFaults);
            return Results.Text(InjectedFaultBody, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != "refresh_token")
        {
            return OAuthError("unsupported_grant_type", StatusCodes.Status400BadRequest);
        }

        var presented = form["refresh_token"].ToString();
        lock (_gate)
        {
            if (!TryReadRefreshToken(presented, out var generation))
            {
                Interlocked.Increment(ref _badRefreshTokens);
                return OAuthError("invalid_grant", StatusCodes.Status400BadRequest);
            }

            if (generation != _generation)
            {
                // A rotated-away refresh token came back: the single flight failed somewhere.
                Interlocked.Increment(ref _reusedRefreshTokens);
                return OAuthError("invalid_grant", StatusCodes.Status400BadRequest);
            }

            _generation++;
            Interlocked.Increment(ref _refreshed);
            return Results.Json(new TokenResponse(AccessToken(_generation), "Bearer", (int)_lifetime.TotalSeconds, RefreshToken(_generation)), SoakJsonContext.Default.TokenResponse);
        }
    }

    private IResult Api(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.Ordinal) || !TryReadAccessToken(header[Scheme.Length..], out var expiresAt))
        {
            Interlocked.Increment(ref _apiInvalid);
            return Unauthorized(context);
        }

        if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() >= expiresAt)
        {
            Interlocked.Increment(ref _apiExpired);
            return Unauthorized(context);
        }

        Interlocked.Increment(ref _apiAccepted);
        return Results.Text("ok");
    }

    private static IResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private static IResult OAuthError(string error, int status) =>
        Results.Json(new OAuthErrorResponse(error), SoakJsonContext.Default.OAuthErrorResponse, statusCode: status);

    // at.<generation>.<expires at, Unix ms>.<signature>: the API checks it without a lookup.
    private string AccessToken(long generation)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"at.{generation}.{(DateTimeOffset.UtcNow + _lifetime).ToUnixTimeMilliseconds()}");
        return payload + "." + Sign(payload);
    }

    private bool TryReadAccessToken(string token, out long expiresAt)
    {
        expiresAt = 0;
        var signatureStart = token.LastIndexOf('.');
        if (signatureStart < 0 || !token.StartsWith("at.", StringComparison.Ordinal) || Sign(token[..signatureStart]) != token[(signatureStart + 1)..])
        {
            return false;
        }

        var parts = token[..signatureStart].Split('.');
        return parts.Length == 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out expiresAt);
    }

    // rt.<generation>.<signature>
    private string RefreshToken(long generation)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"rt.{generation}");
        return payload + "." + Sign(payload);
    }

    private bool TryReadRefreshToken(string token, out long generation)
    {
        generation = -1;
        var signatureStart = token.LastIndexOf('.');
        return signatureStart > 3
            && token.StartsWith("rt.", StringComparison.Ordinal)
            && Sign(token[..signatureStart]) == token[(signatureStart + 1)..]
            && long.TryParse(token.AsSpan(3, signatureStart - 3), NumberStyles.None, CultureInfo.InvariantCulture, out generation);
    }

    private string Sign(string payload) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
