namespace AuthHandler.Fleet;

/// <summary>What the token endpoint does to the one refresh it is armed for.</summary>
internal enum RefreshFault
{
    /// <summary>Redeem and rotate, then reset the connection instead of answering.</summary>
    LoseResponse,

    /// <summary>Hold the request before redeeming it; if the caller goes away meanwhile, redeem nothing.</summary>
    HoldBeforeRedeem,

    /// <summary>Redeem and rotate, then hold the answer.</summary>
    HoldAfterRedeem,
}
