using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/how-refresh-works.md.</summary>
public static class HowRefreshWorks
{
    /// <summary>Listens to the session's events.</summary>
    /// <param name="provider">The service provider.</param>
    public static void Subscribe(IServiceProvider provider)
    {
        #region events
        var session = provider.GetRequiredKeyedService<DeviceAuthSession>(nameof(ForecastApi));

        // After each refresh grant the token endpoint answered with tokens (not when tokens were
        // adopted from the store that another process had refreshed).
        session.Refreshed += (_, refreshed) =>
            Console.WriteLine($"New access token until {refreshed.ExpiresAt:u}; refresh token rotated: {refreshed.RefreshTokenRotated}");

        // The sign-in-required signal: once per transition to SignInRequired, before the waiting requests resume.
        session.SignInRequired += (_, signal) =>
            Console.WriteLine($"{signal.ClientName}: sign in again ({signal.Reason}, OAuth error: {signal.Error ?? "none"})");
        #endregion
    }

    /// <summary>Tokens obtained elsewhere (a test, another sign-in flow).</summary>
    /// <param name="session">The session.</param>
    /// <param name="accessToken">The access token.</param>
    /// <param name="refreshToken">The refresh token.</param>
    /// <param name="expiresInSeconds">The token response's <c>expires_in</c>.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    public static async Task SetTokensAsync(DeviceAuthSession session, string accessToken, string refreshToken, int expiresInSeconds, CancellationToken cancellationToken)
    {
        #region set-tokens
        var receivedAt = DateTimeOffset.UtcNow;
        await session.SetTokensAsync(
            new TokenSet(accessToken, receivedAt.AddSeconds(expiresInSeconds))
            {
                RefreshToken = refreshToken,

                // With IssuedAt the session knows the lifetime, so a short-lived token gets a window
                // of half its lifetime and a skew of at most a quarter of it.
                IssuedAt = receivedAt,
            },
            cancellationToken);
        #endregion
    }
}
