namespace AuthHandler.Tests.Integration;

/// <summary>
/// A <see cref="MemoryTokenStore"/> whose writes fail while <see cref="FailWrites"/> says so (a
/// full disk, Redis going away mid-refresh). Reads always work. Counts the writes it was asked for.
/// </summary>
internal sealed class FlakyTokenStore : ITokenStore
{
    private int _writes;

    public MemoryTokenStore Inner { get; } = new();

    /// <summary>Decides, from the 1-based number of a write, whether it fails.</summary>
    public Func<int, bool> FailWrites { get; set; } = _ => false;

    public int Writes => Volatile.Read(ref _writes);

    public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) => Inner.GetAsync(key, cancellationToken);

    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken) =>
        FailWrites(Interlocked.Increment(ref _writes))
            ? throw new TokenStoreException("The store cannot be written now (test).", isTransient: true)
            : Inner.SetAsync(key, tokens, lease, cancellationToken);

    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) =>
        FailWrites(Interlocked.Increment(ref _writes))
            ? throw new TokenStoreException("The store cannot be written now (test).", isTransient: true)
            : Inner.RemoveAsync(key, lease, cancellationToken);
}
