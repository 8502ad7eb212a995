namespace AuthHandler.Fleet;

/// <summary>What the grant did with a presented refresh token.</summary>
internal enum RedeemOutcome
{
    /// <summary>It was the current one: redeemed and rotated.</summary>
    Rotated,

    /// <summary>It was spent within the grace period: the same successor again.</summary>
    GraceReplay,

    /// <summary>It was spent: reuse detected, the whole grant revoked (RFC 9700 §4.14.2).</summary>
    Reused,

    /// <summary>The grant was already revoked.</summary>
    Revoked,

    /// <summary>The server never issued it.</summary>
    Unknown,
}
