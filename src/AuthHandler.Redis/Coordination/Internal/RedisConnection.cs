using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// The Redis connection of one coordination: either one the application owns (never disposed
/// here), or one opened on first use from a configuration string and closed with the service provider.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly Lock _gate = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    private RedisConnection(IConnectionMultiplexer? shared, ConfigurationOptions? configuration)
    {
        _shared = shared;
        _configuration = configuration;
    }

    public static RedisConnection Shared(IConnectionMultiplexer connection) => new(connection, null);

    public static RedisConnection Owned(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);

        // Redis being down when the first refresh runs is a transient failure, not a broken
        // application: connect in the background and keep retrying.
        options.AbortOnConnectFail = false;
        return new(null, options);
    }

    public async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        if (_shared is not null)
        {
            return _shared.GetDatabase();
        }

        Task<ConnectionMultiplexer> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // A failed first connect (say, a DNS failure) is not cached: the next call tries again.
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectionMultiplexer.ConnectAsync(_configuration!);
            }

            connecting = _connecting;
        }

        var connection = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        return connection.GetDatabase();
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_gate)
        {
            _disposed = true;
            connecting = _connecting;
            _connecting = null;
        }

        if (connecting is null)
        {
            return;
        }

        try
        {
            var connection = await connecting.ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailure.Is(ex))
        {
            // It never connected: nothing to close.
        }
    }
}
