using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Fleet;

/// <summary>
/// The token endpoint (refresh grant only, on <see cref="GrantLedger"/>) and the protected API in
/// one Kestrel app on 127.0.0.1. A fault, once armed, applies to the next refresh that reaches it
/// and tells the caller of <see cref="Arm"/> which worker sent that refresh (its
/// <see cref="WorkerHeader"/>, one of the library's device headers).
/// </summary>
internal sealed class AuthorizationServer : IAsyncDisposable
{
    public const string TokenPath = "/token";
    public const string ApiPath = "/api/data";
    public const string WorkerHeader = "X-Fleet-Worker";

    private readonly WebApplication _app;
    private readonly TimeSpan _hold;
    private Armed? _armed;
    private long _apiOk;
    private long _apiUnauthorized;

    private AuthorizationServer(WebApplication app, GrantLedger ledger, TimeSpan hold)
    {
        _app = app;
        Ledger = ledger;
        _hold = hold;
    }

    public GrantLedger Ledger { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public long ApiOk => Interlocked.Read(ref _apiOk);

    public long ApiUnauthorized => Interlocked.Read(ref _apiUnauthorized);

    public static async Task<AuthorizationServer> StartAsync(GrantLedger ledger, TimeSpan hold)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new AuthorizationServer(app, ledger, hold);

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

    /// <summary>Applies <paramref name="kind"/> to the next refresh; completes with the worker that sent it and when (Unix ms).</summary>
    public Task<(string Worker, long At)> Arm(RefreshFault kind)
    {
        var fired = new TaskCompletionSource<(string Worker, long At)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _armed, new Armed(kind, fired));
        return fired.Task;
    }

    public void Disarm() => Volatile.Write(ref _armed, null);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != "refresh_token")
        {
            return OAuthError("unsupported_grant_type", "only the refresh grant is served");
        }

        var worker = context.Request.Headers[WorkerHeader].ToString();
        var presented = form["refresh_token"].ToString();
        var generation = Ledger.GenerationOf(presented) ?? -1;
        if (Take(RefreshFault.HoldBeforeRedeem) is { } before)
        {
            await HoldAsync(before, "held-before-redeem", worker, generation, context);
            if (context.RequestAborted.IsCancellationRequested)
            {
                // The holder died with the request unanswered: nothing was redeemed.
                Ledger.Record("abandoned-before-redeem", worker, generation);
                return Results.Empty;
            }
        }

        var (outcome, tokens) = Ledger.Redeem(presented, worker);
        if (tokens is null)
        {
            return OAuthError("invalid_grant", outcome == RedeemOutcome.Reused ? "refresh token reused; grant revoked" : "grant revoked or unknown");
        }

        if (outcome == RedeemOutcome.Rotated && Take(RefreshFault.LoseResponse) is { } lose)
        {
            // Redeemed and rotated, but the answer never arrives: a reset after the server's commit.
            Ledger.Record("lost-response", worker, generation);
            lose.TrySetResult((worker, WorkerLine.Now()));
            context.Abort();
            return Results.Empty;
        }

        if (outcome == RedeemOutcome.Rotated && Take(RefreshFault.HoldAfterRedeem) is { } after)
        {
            await HoldAsync(after, "held-after-redeem", worker, generation, context);
        }

        var expiresIn = Math.Max(1, (int)Math.Round((tokens.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds));
        return Results.Json(new TokenResponse(tokens.AccessToken, "Bearer", expiresIn, tokens.RefreshToken), FleetJsonContext.Default.TokenResponse);
    }

    private IResult Api(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (header.StartsWith(Scheme, StringComparison.Ordinal) && Ledger.Accepts(header[Scheme.Length..]))
        {
            Interlocked.Increment(ref _apiOk);
            return Results.Text("ok");
        }

        Interlocked.Increment(ref _apiUnauthorized);
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private TaskCompletionSource<(string Worker, long At)>? Take(RefreshFault kind)
    {
        var armed = Volatile.Read(ref _armed);
        return armed is not null && armed.Kind == kind && Interlocked.CompareExchange(ref _armed, null, armed) == armed
            ? armed.Fired
            : null;
    }

    /// <summary>Tells the harness who sent the request, then waits until that worker is gone or the hold ends.</summary>
    private async Task HoldAsync(TaskCompletionSource<(string Worker, long At)> fired, string kind, string worker, long generation, HttpContext context)
    {
        Ledger.Record(kind, worker, generation);
        fired.TrySetResult((worker, WorkerLine.Now()));
        try
        {
            await Task.Delay(_hold, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static IResult OAuthError(string error, string description) =>
        Results.Json(new OAuthErrorResponse(error, description), FleetJsonContext.Default.OAuthErrorResponse, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>A fault waiting for its refresh; taken by exactly one request.</summary>
    private sealed record Armed(RefreshFault Kind, TaskCompletionSource<(string Worker, long At)> Fired);
}
