using AuthHandler;
using AuthHandler.DependencyInjection.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps a client's tokens in the operating system's credential store.</summary>
public static class DeviceAuthCredentialStoreExtensions
{
    /// <summary>
    /// Keeps this client's tokens in the operating system's credential store, and only there: the
    /// Secret Service on Linux, the Keychain on macOS, DPAPI-protected files on Windows. When it
    /// cannot be used (no D-Bus session bus, a locked keyring, an unsupported OS), reads and writes
    /// fail with a transient <see cref="TokenStoreException"/> that says what to do; the client is
    /// still created, and no call waits for an unlock prompt.
    /// </summary>
    /// <remarks>
    /// The refresh lock is a <see cref="FileRefreshLock"/> in <see cref="DeviceAuthOptions.StorageDirectory"/>,
    /// so that processes sharing the sign-in redeem each refresh token once. A token file the
    /// client kept there before is moved into the credential store the first time the lock is taken.
    /// </remarks>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder: of a client, or of a session registered on its own.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UseCredentialTokenStore<TBuilder>(this TBuilder builder)
        where TBuilder : IDeviceAuthSessionBuilder => Register(builder, fallBackToFile: false);

    /// <summary>
    /// Keeps this client's tokens where an interactive CLI should: in the operating system's
    /// credential store when it can be used without a prompt, otherwise in an owner-only file in
    /// <see cref="DeviceAuthOptions.StorageDirectory"/>, as by default. The choice is made once, at
    /// first use, and logged in one line that says which store and why.
    /// </summary>
    /// <remarks>
    /// The refresh lock is a <see cref="FileRefreshLock"/> in the storage directory either way, so
    /// processes that use the credential store and processes that fell back to the file (an SSH
    /// session beside a desktop session) still take one lock. A token file is read before the
    /// credential store (it was written since the last move), and moved into it the first time the
    /// lock is taken: users of the file store keep their sign-in.
    /// </remarks>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder: of a client, or of a session registered on its own.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UsePlatformTokenStore<TBuilder>(this TBuilder builder)
        where TBuilder : IDeviceAuthSessionBuilder => Register(builder, fallBackToFile: true);

    private static TBuilder Register<TBuilder>(TBuilder builder, bool fallBackToFile)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.SessionName;

        // Created when the session is, which touches neither the credential store nor a file
        // (invariant 12): a store that cannot be used is reported at first use.
        builder.Services.AddKeyedSingleton(name, (provider, _) =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name);
            var logger = (provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(DeviceAuthConstants.LoggerCategory);
            var directory = options.StorageDirectory ?? DeviceAuthConstants.DefaultStorageDirectory();
            return new CredentialTokenStore(directory, fallBackToFile, logger, provider.GetService<SecretBackendFactory>()?.Create) { ClientName = name };
        });
        builder.Services.AddKeyedSingleton<ITokenStore>(name, (provider, key) => provider.GetRequiredKeyedService<CredentialTokenStore>(key));
        builder.Services.AddKeyedSingleton<IRefreshLock>(name, (provider, key) => provider.GetRequiredKeyedService<CredentialTokenStore>(key)
            .CreateRefreshLock(provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(name).RefreshLockTimeout));
        return builder;
    }
}
