namespace AuthHandler.Tests.Unit;

public sealed class InProcessRefreshLockTests
{
    [Fact]
    public async Task AcquireAsync_Lease_CarriesTheKeyAndNoFencingToken()
    {
        await using var lease = await new InProcessRefreshLock().AcquireAsync("key", TestContext.Current.CancellationToken);

        Assert.Equal("key", lease.Key);
        Assert.Null(lease.FencingToken);
    }

    [Fact]
    public async Task AcquireAsync_SecondHolderOfTheSameKey_WaitsUntilTheFirstLeaseIsDisposed()
    {
        var refreshLock = new InProcessRefreshLock();
        var first = await refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken);

        var second = refreshLock.AcquireAsync("key", TestContext.Current.CancellationToken).AsTask();
        var otherKey = await refreshLock.AcquireAsync("other", TestContext.Current.CancellationToken);

        Assert.False(second.IsCompleted);
        await first.DisposeAsync();
        await using var held = await second;
        Assert.Equal("key", held.Key);
        await otherKey.DisposeAsync();
    }
}
