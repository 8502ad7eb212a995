using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/storage-and-coordination.md.</summary>
public static class Storage
{
    /// <summary>Tokens in memory only.</summary>
    /// <param name="services">The application's services.</param>
    public static void Memory(IServiceCollection services)
    {
        #region memory-store
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-service";
            })
            .UseMemoryTokenStore();   // lost when the process exits; refreshes coordinate within this process only
        #endregion
    }

    /// <summary>Tokens in files, in a directory of your choice.</summary>
    /// <param name="services">The application's services.</param>
    public static void Files(IServiceCollection services)
    {
        #region file-store
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".forecast");

        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.StorageDirectory = home;   // device_id, tokens-*.json and tokens-*.lock live here
            });

        // The same, for the token files only (the device id stays in StorageDirectory):
        //     .UseFileTokenStore(home);
        #endregion
    }

    /// <summary>One store for every client of the application.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="store">The store.</param>
    public static void ApplicationWide(IServiceCollection services, ITokenStore store)
    {
        #region application-store
        // Used by every device-auth client that has no store of its own (UseTokenStore and friends).
        services.AddSingleton(store);
        #endregion
    }

    /// <summary>A store of your own, and a lock for it.</summary>
    /// <param name="services">The application's services.</param>
    public static void Custom(IServiceCollection services)
    {
        #region custom-store-registration
        services.AddDistributedMemoryCache();   // stands in for your IDistributedCache
        services.AddHttpClient("forecast", client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
            })
            .UseTokenStore(provider => new DistributedCacheTokenStore(provider.GetRequiredService<IDistributedCache>()))

            // A store of your own needs a lock that every holder of its refresh tokens shares;
            // without one the app fails at start. Here: every process of the user on this machine.
            .UseRefreshLock(_ => new FileRefreshLock(Path.Combine(Path.GetTempPath(), "forecast-locks"), TimeSpan.FromSeconds(30)));
        #endregion
    }
}

#region custom-store
/// <summary>
/// Keeps token sets in an <see cref="IDistributedCache"/>. Follows the <see cref="ITokenStore"/>
/// contract: null only when nothing is stored; a corrupted entry throws a non-transient
/// <see cref="TokenStoreException"/> (the session signs out and leaves it for a new sign-in); an
/// unreachable cache throws a transient one (the session keeps its tokens and tries again).
/// </summary>
/// <param name="cache">The cache.</param>
public sealed class DistributedCacheTokenStore(IDistributedCache cache) : ITokenStore
{
    /// <inheritdoc />
    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
    {
        byte[]? bytes;
        try
        {
            bytes = await cache.GetAsync(CacheKey(key), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new TokenStoreException("The token cache cannot be reached.", isTransient: true, ex);
        }

        if (bytes is null)
        {
            return null;
        }

        StoredEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<StoredEntry>(bytes);
        }
        catch (JsonException)
        {
            // Never put the exception's message in yours: it can quote the content, which holds tokens.
            throw new TokenStoreException("The token cache entry is corrupted; sign in again to replace it.", isTransient: false);
        }

        if (entry?.AccessToken is not { Length: > 0 } accessToken)
        {
            throw new TokenStoreException("The token cache entry has no access token; sign in again to replace it.", isTransient: false);
        }

        return new TokenSet(accessToken, entry.ExpiresAt)
        {
            TokenType = entry.TokenType ?? "Bearer",
            RefreshToken = entry.RefreshToken,
            RefreshTokenExpiresAt = entry.RefreshTokenExpiresAt,
            Scope = entry.Scope,
            IssuedAt = entry.IssuedAt,
        };
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);

        // The session writes only under the refresh lock of this key, and hands its lease in. A
        // cache cannot compare lease.FencingToken with its write in one step, so this store
        // relies on the lock alone: register one that covers every process using the cache.
        var entry = new StoredEntry(tokens.AccessToken, tokens.ExpiresAt, tokens.TokenType, tokens.RefreshToken, tokens.RefreshTokenExpiresAt, tokens.Scope, tokens.IssuedAt);
        try
        {
            // No cache expiry: a refresh token outlives its access token.
            await cache.SetAsync(CacheKey(key), JsonSerializer.SerializeToUtf8Bytes(entry), new DistributedCacheEntryOptions(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new TokenStoreException("The token cache cannot be written.", isTransient: true, ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken)
    {
        try
        {
            await cache.RemoveAsync(CacheKey(key), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new TokenStoreException("The token cache entry cannot be deleted.", isTransient: true, ex);
        }
    }

    // The session's key holds the authority, client id and scopes; prefix it so it cannot collide.
    private static string CacheKey(string key) => "forecast-tokens:" + key;

    private sealed record StoredEntry(
        string? AccessToken,
        DateTimeOffset ExpiresAt,
        string? TokenType,
        string? RefreshToken,
        DateTimeOffset? RefreshTokenExpiresAt,
        string? Scope,
        DateTimeOffset? IssuedAt);
}
#endregion
