namespace AuthHandler.Fleet;

/// <summary>The one fault a run injects (<c>--fault</c>), at <see cref="FleetSettings.FaultAt"/> after the load starts.</summary>
internal enum FleetFault
{
    /// <summary>Steady state: nothing is injected.</summary>
    None,

    /// <summary>
    /// The first refresh at or after the fault time is redeemed and rotated by the server, which
    /// then resets the connection instead of answering: the client never learns its new refresh token.
    /// </summary>
    LostResponse,

    /// <summary>
    /// The first refresh at or after the fault time is held by the server before it is redeemed;
    /// the worker that sent it (the lock holder) is killed with SIGKILL. Nothing was rotated.
    /// </summary>
    KillHolder,

    /// <summary>
    /// The first refresh at or after the fault time is redeemed and rotated, then its answer is
    /// held; the worker waiting for it is killed before it can write the store (issue 14's window).
    /// </summary>
    KillBeforeWrite,

    /// <summary>redis-server is frozen with SIGSTOP for <see cref="FleetSettings.OutageLength"/>, then resumed with its data.</summary>
    RedisOutage,

    /// <summary>
    /// redis-server saves a snapshot and is killed; connections are refused for
    /// <see cref="FleetSettings.OutageLength"/>; then it starts again on the same port with the snapshot.
    /// </summary>
    RedisDown,

    /// <summary>redis-server is killed and started again on the same port without persistence: the store is empty.</summary>
    RedisRestart,
}
