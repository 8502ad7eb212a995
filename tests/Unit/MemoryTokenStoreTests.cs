namespace AuthHandler.Tests.Unit;

public sealed class MemoryTokenStoreTests
{
    private static readonly TokenSet Tokens = new("at", new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero)) { RefreshToken = "rt" };

    [Fact]
    public async Task SetAsync_LeaseOfItsKey_StoresTheTokens()
    {
        var store = new MemoryTokenStore();
        await using var lease = await new InProcessRefreshLock().AcquireAsync("key", TestContext.Current.CancellationToken);

        await store.SetAsync("key", Tokens, lease, TestContext.Current.CancellationToken);

        Assert.Same(Tokens, await store.GetAsync("key", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SetAsync_LeaseOfAnotherKey_ThrowsArgumentExceptionAndStoresNothing()
    {
        var store = new MemoryTokenStore();
        await using var other = await new InProcessRefreshLock().AcquireAsync("other", TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.SetAsync("key", Tokens, other, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("lease", ex.ParamName);
        Assert.Null(await store.GetAsync("key", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RemoveAsync_LeaseOfAnotherKey_ThrowsArgumentExceptionAndKeepsTheTokens()
    {
        var store = new MemoryTokenStore();
        var refreshLock = new InProcessRefreshLock();
        await using (var lease = await refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken))
        {
            await store.SetAsync("key", Tokens, lease, TestContext.Current.CancellationToken);
        }

        await using var other = await refreshLock.AcquireAsync("other", TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.RemoveAsync("key", other, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("lease", ex.ParamName);
        Assert.Same(Tokens, await store.GetAsync("key", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SetAsync_NullLease_ThrowsArgumentNullException()
    {
        var store = new MemoryTokenStore();

        var ex = await Assert.ThrowsAsync<ArgumentNullException>(() => store.SetAsync("key", Tokens, null!, TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("lease", ex.ParamName);
    }
}
