using ApiClient.Cli;
using ApiClient.Output;
using AuthHandler;

namespace ApiClient.Client;

/// <summary>Describes the stored sign-in from the token file, without a network call and without showing a token.</summary>
internal static class SessionInspector
{
    public static async Task<SessionReport> ReportAsync(ServerSettings server, DeviceAuthSession session, TimeProvider time, CancellationToken cancellationToken)
    {
        // The same store the session uses: a FileTokenStore in the directory the options name.
        var store = new FileTokenStore(server.StoreDirectory);
        var file = store.PathFor(session.StoreKey);
        TokenSet? tokens;
        string? problem = null;
        try
        {
            tokens = await store.GetAsync(session.StoreKey, cancellationToken);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            tokens = null;
            problem = ex.Message.TrimEnd('.');
        }

        var now = time.GetUtcNow();
        if (tokens is null)
        {
            problem ??= Reporter.Describe(SignInRequiredReason.NoTokens);
        }
        else if (tokens.RefreshToken is null && tokens.ExpiresAt <= now)
        {
            problem = "the access token has expired and there is no refresh token";
        }
        else if (tokens.RefreshTokenExpiresAt <= now)
        {
            problem = Reporter.Describe(SignInRequiredReason.RefreshTokenExpired);
        }

        return new SessionReport
        {
            SignedIn = problem is null,
            Authority = server.Authority,
            ClientId = server.ClientId,
            Scope = tokens?.Scope ?? server.Scope,
            Account = tokens is null ? null : JwtAccount.Find(tokens.AccessToken),
            AccessTokenExpiresAt = tokens?.ExpiresAt,
            HasRefreshToken = tokens?.RefreshToken is not null,
            RefreshTokenExpiresAt = tokens?.RefreshTokenExpiresAt,
            StoreFile = tokens is null ? null : file,
            Problem = problem,
            LoginCommand = problem is null ? null : server.LoginCommand(),
        };
    }
}
