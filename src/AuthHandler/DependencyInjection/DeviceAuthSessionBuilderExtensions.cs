using AuthHandler;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures a device-auth session: its options, token store and refresh lock. Each returns the
/// builder it was called on, so after <c>AddDeviceAuthHandler(...)</c> the chain goes on as the
/// client's <see cref="IHttpClientBuilder"/>.
/// </summary>
public static class DeviceAuthSessionBuilderExtensions
{
    /// <summary>Changes the session's options after they were first set.</summary>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder Configure<TBuilder>(this TBuilder builder, Action<DeviceAuthOptions> configure)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<DeviceAuthOptions>(builder.SessionName).Configure(configure);
        return builder;
    }

    /// <summary>
    /// Keeps this session's tokens in memory only (tests, services that sign in at start-up).
    /// By default tokens go to the application's <see cref="ITokenStore"/> service if one is
    /// registered, otherwise to a <see cref="FileTokenStore"/> in <see cref="DeviceAuthOptions.StorageDirectory"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UseMemoryTokenStore<TBuilder>(this TBuilder builder)
        where TBuilder : IDeviceAuthSessionBuilder =>
        builder.UseTokenStore(_ => new MemoryTokenStore());

    /// <summary>Keeps this session's tokens in owner-only files in <paramref name="directory"/>.</summary>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="directory">The directory of the token files.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UseFileTokenStore<TBuilder>(this TBuilder builder, string directory)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return builder.UseTokenStore(_ => new FileTokenStore(directory));
    }

    /// <summary>Keeps this session's tokens in the store that <paramref name="factory"/> creates.</summary>
    /// <remarks>
    /// The library pairs <see cref="FileTokenStore"/> with <see cref="FileRefreshLock"/> and
    /// <see cref="MemoryTokenStore"/> with <see cref="InProcessRefreshLock"/>. Any other store needs a
    /// lock chosen with <see cref="UseRefreshLock"/> (or an <see cref="IRefreshLock"/> service);
    /// without one the application fails at start, because a lock that covers fewer holders than
    /// the store lets two of them redeem the same refresh token.
    /// </remarks>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="factory">Creates the store, once.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UseTokenStore<TBuilder>(this TBuilder builder, Func<IServiceProvider, ITokenStore> factory)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton(builder.SessionName, (provider, _) => factory(provider));
        return builder;
    }

    /// <summary>
    /// Holds this session's refreshes under the lock that <paramref name="factory"/> creates. The
    /// session holds it across read → refresh → write, so it must cover every process or machine
    /// that uses the same store entry: otherwise two of them can redeem one refresh token, and a
    /// server that rotates refresh tokens may revoke the sign-in for it (RFC 9700 §4.14).
    /// </summary>
    /// <remarks>
    /// Needed with a store of your own (a database, a distributed cache). For a store that only this
    /// process uses, say so with <c>UseRefreshLock(_ =&gt; new InProcessRefreshLock())</c>. The file
    /// and memory stores come with the right lock (<see cref="FileRefreshLock"/> beside the files,
    /// <see cref="InProcessRefreshLock"/>), which this replaces.
    /// </remarks>
    /// <typeparam name="TBuilder">The builder's type, returned for the chain.</typeparam>
    /// <param name="builder">The device-auth builder.</param>
    /// <param name="factory">Creates the lock, once.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder UseRefreshLock<TBuilder>(this TBuilder builder, Func<IServiceProvider, IRefreshLock> factory)
        where TBuilder : IDeviceAuthSessionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton(builder.SessionName, (provider, _) => factory(provider));
        return builder;
    }
}
