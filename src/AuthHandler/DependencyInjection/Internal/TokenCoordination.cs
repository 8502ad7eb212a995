using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Which token store and refresh lock a client's session uses; the session factory and the
/// start-up check share these rules, so that what is checked is what runs.
/// </summary>
internal static class TokenCoordination
{
    /// <summary>Per client first, then the application's store; null: the default file store.</summary>
    public static ITokenStore? RegisteredStore(IServiceProvider services, string name) =>
        services.GetKeyedService<ITokenStore>(name) ?? services.GetService<ITokenStore>();

    /// <summary>Per client first, then the application's lock; null: the default for the store.</summary>
    public static IRefreshLock? RegisteredLock(IServiceProvider services, string name) =>
        services.GetKeyedService<IRefreshLock>(name) ?? services.GetService<IRefreshLock>();

    /// <summary>
    /// The lock when the application chose none. It must cover every holder of the refresh token
    /// (RFC 9700 §4.14: a rotated refresh token redeemed twice can revoke the grant): other
    /// processes for the file store, this process for the memory store. Null for any other store,
    /// whose holders the library cannot know.
    /// </summary>
    public static IRefreshLock? DefaultLock(IServiceProvider services, ITokenStore store, DeviceAuthOptions options) => store switch
    {
        FileTokenStore files => new FileRefreshLock(files.Directory, options.RefreshLockTimeout),
        MemoryTokenStore => services.GetRequiredService<InProcessRefreshLock>(),
        _ => null,
    };

    /// <summary>Why the client cannot start, or null: a store the library cannot pair with a lock, and no lock chosen.</summary>
    public static string? MissingLock(IServiceProvider services, string name)
    {
        // Decided without creating the lock when the container can tell (IServiceProviderIsService).
        var hasLock = services.GetService<IServiceProviderIsKeyedService>() is { } registrations
            ? registrations.IsKeyedService(typeof(IRefreshLock), name) || registrations.IsService(typeof(IRefreshLock))
            : RegisteredLock(services, name) is not null;
        if (hasLock || RegisteredStore(services, name) is not { } store || store is FileTokenStore or MemoryTokenStore)
        {
            return null;
        }

        return $"DeviceAuthOptions for HTTP client '{name}': the token store {store.GetType().Name} is not a FileTokenStore or a MemoryTokenStore, " +
            "and no refresh lock is registered for it. A store that other processes or machines share needs a lock they share too: with a " +
            "process-local lock two of them can redeem the same refresh token, and a server that rotates refresh tokens may then revoke the " +
            "sign-in (RFC 9700 §4.14). Call UseRefreshLock(...) on the client with a lock every holder of the store shares (or register an " +
            $"IRefreshLock, keyed by '{name}' or for all clients), or, if only this process uses the store, accept a process-local lock with " +
            "UseRefreshLock(_ => new InProcessRefreshLock()).";
    }
}
