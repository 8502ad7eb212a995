using ApiClient.Cli;
using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Client;

/// <summary>Describes the stored sign-in through the session's public API: no network call, no token shown.</summary>
internal static class SessionInspector
{
    /// <param name="storage">Where the tokens are kept (<see cref="ClientServices.StorageLocationAsync"/>); null: in the store directory's file.</param>
    /// <param name="provider">The command's services: the store notes whether what the session read is DPoP-bound (<see cref="ClientServices.StoredDPoPThumbprint"/>).</param>
    public static async Task<SessionReport> ReportAsync(ServerSettings server, IDeviceAuthSession session, TokenStorageLocation? storage, IServiceProvider provider, TimeProvider time, CancellationToken cancellationToken)
    {
        // Read from the token store, never the network; null when nothing is stored or the user signed out.
        SignedInAccount? account;
        string? problem = null;
        try
        {
            account = await session.GetAccountAsync(cancellationToken);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            account = null;
            problem = ex.Message.TrimEnd('.');
        }

        var now = time.GetUtcNow();
        if (account is null)
        {
            problem ??= Reporter.Describe(SignInRequiredReason.NoTokens);
        }
        else if (!account.HasRefreshToken && account.AccessTokenExpiresAt <= now)
        {
            problem = "the access token has expired and there is no refresh token";
        }
        else if (account.RefreshTokenExpiresAt <= now)
        {
            problem = Reporter.Describe(SignInRequiredReason.RefreshTokenExpired);
        }

        return new SessionReport
        {
            SignedIn = problem is null,
            Authority = server.Authority,
            ClientId = server.ClientId,
            Scope = account is { Scopes.Count: > 0 } ? string.Join(' ', account.Scopes) : server.Scope,

            // Who, from the ID token's display claims (when the server issued one with the openid scope).
            Account = account?.PreferredUsername ?? account?.Email ?? account?.Name ?? account?.Subject,
            AccessTokenExpiresAt = account?.AccessTokenExpiresAt,
            HasRefreshToken = account?.HasRefreshToken ?? false,
            RefreshTokenExpiresAt = account?.RefreshTokenExpiresAt,

            // The key's public thumbprint only; the stored key is a secret like the refresh token.
            DPoPThumbprint = account is null ? null : ClientServices.StoredDPoPThumbprint(provider),
            DPoPRequested = server.DPoP,
            StoreDirectory = account is null ? null : server.StoreDirectory,
            Storage = storage,
            Problem = problem,
            LoginCommand = problem is null ? null : server.LoginCommand(),
        };
    }
}
