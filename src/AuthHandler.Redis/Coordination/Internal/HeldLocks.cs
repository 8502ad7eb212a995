using System.Collections.Concurrent;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// What this process knows about the refresh locks of one coordination: a local gate per store
/// key, so that sessions of this process queue here instead of polling Redis, and the fencing
/// token of the lock this process holds, which the store's writes carry.
/// </summary>
/// <remarks>
/// The fence is looked up by store key rather than flowed with the caller (an <c>AsyncLocal</c>
/// set inside <c>AcquireAsync</c> would not flow back to the session that awaited it). The local
/// gate makes that unambiguous: at most one holder per store key exists in this process, and
/// every write the session makes while holding the lock happens before it releases it.
/// </remarks>
internal sealed class HeldLocks
{
    // One gate per store key for the life of the process: the keys are the configured sign-ins.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _fences = new(StringComparer.Ordinal);

    public SemaphoreSlim GateFor(string storeKey) => _gates.GetOrAdd(storeKey, static _ => new SemaphoreSlim(1, 1));

    public void Hold(string storeKey, long fence) => _fences[storeKey] = fence;

    public void Forget(string storeKey, long fence) => _fences.TryRemove(new KeyValuePair<string, long>(storeKey, fence));

    public bool TryGetFence(string storeKey, out long fence) => _fences.TryGetValue(storeKey, out fence);
}
