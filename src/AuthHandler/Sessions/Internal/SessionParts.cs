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

    /// <summary>Gets the session's DPoP state (RFC 9449): on or off, the key cache, the nonces.</summary>
    public required DPoPContext DPoP { get; init; }

    /// <summary>Gets the session's one nonce cache, for the back channel and the API requests alike (<see cref="DPoPContext.Nonces"/>).</summary>
    public DPoPNonceCache DPoPNonces => DPoP.Nonces;

    public Func<OnDeviceCodeArguments, ValueTask>? OnDeviceCode { get; init; }

    public bool SignInOnDemand { get; init; }

    public TimeSpan RefreshRetryDelay { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    public required DeviceAuthMetrics Metrics { get; init; }
}
