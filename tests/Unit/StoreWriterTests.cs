using AuthHandler.Sessions.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AuthHandler.Tests.Unit;

public sealed class StoreWriterTests
{
    private const string Key = "key";

    private static readonly TokenSet Spent = new TokenSet("at-1", DateTimeOffset.UnixEpoch.AddHours(1)) { RefreshToken = "rt-1" }.WithRedeeming("m-1");
    private static readonly TokenSet Issued = new("at-2", DateTimeOffset.UnixEpoch.AddHours(2)) { RefreshToken = "rt-2" };

    [Fact]
    public async Task FlushAsync_StoreStillHoldsTheMarkedTokens_WritesTheUnwrittenOnes()
    {
        var (writer, store) = await AbandonedWriteAsync();

        var entry = await writer.FlushAsync(await ReadAsync(store), await LeaseAsync(), TestContext.Current.CancellationToken);

        Assert.Equal("rt-2", entry.Tokens!.RefreshToken);
        Assert.Equal("rt-2", (await store.Inner.GetAsync(Key, TestContext.Current.CancellationToken))!.RefreshToken);
    }

    [Fact]
    public async Task FlushAsync_StoreLostItsEntry_WritesTheUnwrittenOnes()
    {
        var (writer, store) = await AbandonedWriteAsync();
        store.Inner.Clear();

        var entry = await writer.FlushAsync(default, await LeaseAsync(), TestContext.Current.CancellationToken);

        Assert.Equal("rt-2", entry.Tokens!.RefreshToken);
    }

    [Fact]
    public async Task FlushAsync_SomeoneRedeemedSince_KeepsTheStoreAndForgetsTheUnwrittenOnes()
    {
        var (writer, store) = await AbandonedWriteAsync();
        var newer = new TokenSet("at-3", DateTimeOffset.UnixEpoch.AddHours(3)) { RefreshToken = "rt-3" };
        await store.Inner.SetAsync(Key, newer, await LeaseAsync(), TestContext.Current.CancellationToken);

        var first = await writer.FlushAsync(await ReadAsync(store), await LeaseAsync(), TestContext.Current.CancellationToken);
        store.Inner.Clear();
        var second = await writer.FlushAsync(default, await LeaseAsync(), TestContext.Current.CancellationToken);

        Assert.Equal("rt-3", first.Tokens!.RefreshToken);
        Assert.Null(second.Tokens);
    }

    [Fact]
    public async Task StoreRedeemedAsync_WriteHangsPastTheBoundThenFails_GivesUpWithoutARetry()
    {
        var (_, store) = await AbandonedWriteAsync();

        Assert.Equal(1, store.FailedWrites);
    }

    /// <summary>
    /// A writer whose one write hung for longer than the bound and then failed, so it gave up
    /// at once and kept the issued tokens for the next lock.
    /// </summary>
    private static async Task<(StoreWriter Writer, FailingStore Store)> AbandonedWriteAsync()
    {
        var time = new FakeTimeProvider();
        var store = new FailingStore(time);
        await store.Inner.SetAsync(Key, Spent, await LeaseAsync(), TestContext.Current.CancellationToken);
        var writer = new StoreWriter(new SessionContext("api", Key, store, time, NullLogger.Instance));

        store.Failing = true;
        Assert.False(await writer.StoreRedeemedAsync(Issued, "m-1", await LeaseAsync(), TestContext.Current.CancellationToken));
        store.Failing = false;
        return (writer, store);
    }

    private static ValueTask<StoreEntry> ReadAsync(FailingStore store) => StoreEntry.ReadAsync(store.Inner, Key, TestContext.Current.CancellationToken);

    private static ValueTask<IRefreshLease> LeaseAsync() => new InProcessRefreshLock().AcquireAsync(Key, TestContext.Current.CancellationToken);

    /// <summary>While failing, a write takes longer than the writer's bound (on the fake clock), then fails.</summary>
    private sealed class FailingStore(FakeTimeProvider time) : ITokenStore
    {
        public MemoryTokenStore Inner { get; } = new();

        public bool Failing { get; set; }

        public int FailedWrites { get; private set; }

        public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) => Inner.GetAsync(key, cancellationToken);

        public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
        {
            if (!Failing)
            {
                return Inner.SetAsync(key, tokens, lease, cancellationToken);
            }

            FailedWrites++;
            time.Advance(StoreWriter.RetryBound + TimeSpan.FromSeconds(1));
            throw new TokenStoreException("down", isTransient: true);
        }

        public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) => Inner.RemoveAsync(key, lease, cancellationToken);
    }
}
