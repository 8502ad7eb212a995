using Microsoft.Extensions.Logging;

namespace AuthHandler.Coordination.Internal;

/// <summary>
/// What the refresh lock of one client and each lease it hands out need to know, fixed when the
/// coordination is created: a lease gets these instead of a reference back to its lock.
/// </summary>
/// <param name="ClientName">The HTTP client's name, for logs and messages.</param>
/// <param name="KeyPrefix">The prefix of every Redis key.</param>
/// <param name="Lease">How long Redis keeps the lock of a holder that stopped renewing it.</param>
/// <param name="WaitTimeout">How long an acquisition waits for another holder.</param>
/// <param name="RenewsLease">Whether a live holder renews its lease (off only in tests of a frozen holder).</param>
/// <param name="Logger">The coordination's logger.</param>
internal sealed record RedisLockSettings(string ClientName, string KeyPrefix, TimeSpan Lease, TimeSpan WaitTimeout, bool RenewsLease, ILogger Logger);
