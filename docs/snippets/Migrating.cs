using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/migrating.md.</summary>
public static class Migrating
{
    /// <summary>How the hand-written handler is usually registered.</summary>
    /// <param name="services">The application's services.</param>
    public static void Before(IServiceCollection services)
    {
        #region before-registration
        services.AddSingleton<LegacyTokenCache>();
        services.AddTransient<LegacyRefreshingHandler>();
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddHttpMessageHandler<LegacyRefreshingHandler>();
        #endregion
    }

    /// <summary>The registration that replaces it.</summary>
    /// <param name="services">The application's services.</param>
    public static void After(IServiceCollection services)
    {
        #region after-registration
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.TokenEndpoint = new Uri("https://id.example.com/oauth/token"); // what the old handler posted to
                options.OnSignInRequired = signal =>
                {
                    // What the old handler did when the refresh failed, now only when it was rejected.
                    Console.Error.WriteLine($"Please run 'forecast login' ({signal.Reason}).");
                    return ValueTask.CompletedTask;
                };
            });
        #endregion
    }

    /// <summary>Moves the tokens the old code stored into the session, once, so nobody has to sign in again.</summary>
    /// <param name="provider">The service provider.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>A task that completes when the tokens are imported.</returns>
    public static async Task ImportLegacyTokensAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        #region import
        var legacy = provider.GetRequiredService<LegacyTokenCache>();
        if (legacy.AccessToken is { } accessToken)
        {
            var session = provider.GetRequiredKeyedService<DeviceAuthSession>(nameof(ForecastApi));
            await session.SetTokensAsync(
                new TokenSet(accessToken, legacy.ExpiresAt) { RefreshToken = legacy.RefreshToken },
                cancellationToken);
            legacy.Clear(); // one owner for the refresh token from now on
        }
        #endregion
    }
}

/// <summary>Where the hand-written handler kept its tokens.</summary>
public sealed class LegacyTokenCache
{
    /// <summary>Gets or sets the access token.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Gets or sets the refresh token.</summary>
    public string? RefreshToken { get; set; }

    /// <summary>Gets or sets when the access token expires.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Forgets the tokens.</summary>
    public void Clear()
    {
        AccessToken = null;
        RefreshToken = null;
    }
}

#region before
/// <summary>
/// A typical hand-written refresh handler. DO NOT USE: the numbered comments are the problems that
/// docs/migrating.md explains.
/// </summary>
/// <param name="cache">Where the tokens are kept.</param>
/// <param name="tokenClient">A client for the token endpoint.</param>
public sealed class LegacyRefreshingHandler(LegacyTokenCache cache, IHttpClientFactory tokenClient) : DelegatingHandler
{
    // (1) A lock in the handler: static to survive handler recycling, and still only per process.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (cache.AccessToken is null || cache.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            // (2) Every request that finds an old token waits here, then refreshes again in turn.
            await RefreshUnderLockAsync(cancellationToken);
        }

        // (3) Sent to any host, even one a redirect or an absolute URL points to.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cache.AccessToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // (4) N concurrent 401s: N refreshes, one after another. With rotation, all but the first fail.
        await RefreshUnderLockAsync(cancellationToken);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cache.AccessToken);

        // (5) Re-sends whatever the body is; a consumed stream goes out empty.
        return await base.SendAsync(request, cancellationToken);
    }

    private async Task RefreshUnderLockAsync(CancellationToken cancellationToken)
    {
        // (6) The caller's cancellation token: one impatient caller cancels the refresh for everyone.
        await Gate.WaitAsync(cancellationToken);
        try
        {
            using var client = tokenClient.CreateClient("token");
            using var response = await client.PostAsync(
                new Uri("https://id.example.com/oauth/token"),
                new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", cache.RefreshToken ?? string.Empty), new("client_id", "forecast-cli")]),
                cancellationToken);

            // (7) Any failure - a proxy's HTML page, a 503, a rejected grant - looks the same.
            response.EnsureSuccessStatusCode();
            var tokens = await response.Content.ReadFromJsonAsync<LegacyTokenResponse>(cancellationToken)
                ?? throw new InvalidOperationException("Empty token response.");

            // (8) A response without refresh_token erases the one we had.
            cache.AccessToken = tokens.AccessToken;
            cache.RefreshToken = tokens.RefreshToken;
            cache.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(tokens.ExpiresIn);
        }
        finally
        {
            Gate.Release();
        }
    }

    private sealed record LegacyTokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
#endregion
