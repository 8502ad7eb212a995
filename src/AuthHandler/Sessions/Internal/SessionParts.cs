using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>What a session is made of; built by <c>DeviceAuthSessionFactory</c> from the client's options.</summary>
internal sealed class SessionParts
{
    public required string Name { get; init; }

    public required string StoreKey { get; init; }

    public required ITokenStore Store { get; init; }

    public required IRefreshLock RefreshLock { get; init; }

    public required RefreshSchedule Schedule { get; init; }

    public required TokenRefresher Refresher { get; init; }

    public required SignInFlow SignIn { get; init; }

    public required SessionSignals Signals { get; init; }

    public Func<OnDeviceCodeArguments, ValueTask>? OnDeviceCode { get; init; }

    public bool SignInOnDemand { get; init; }

    public TimeSpan RefreshRetryDelay { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    public required DeviceAuthMetrics Metrics { get; init; }

    /// <summary>The latest <c>DPoP-Nonce</c> per origin (RFC 9449 §8, §9), one cache per session.</summary>
    public DPoPNonceCache DPoPNonces { get; init; } = new();
}
