namespace AuthHandler.Fleet;

/// <summary>What the authorization server saw.</summary>
/// <param name="Refreshes">Refresh tokens redeemed and rotated.</param>
/// <param name="Reuses">Spent refresh tokens presented outside the grace period (each revokes the grant).</param>
/// <param name="Revocations">Grant revocations (0 or 1: one sign-in).</param>
/// <param name="GraceReplays">Spent refresh tokens presented within the grace period (answered the same successor).</param>
/// <param name="RejectedAfterRevocation">Refreshes answered invalid_grant because the grant was revoked.</param>
/// <param name="UnknownTokens">Refresh tokens the server never issued.</param>
internal sealed record ServerCounts(
    long Refreshes,
    long Reuses,
    long Revocations,
    long GraceReplays,
    long RejectedAfterRevocation,
    long UnknownTokens,
    long ApiOk,
    long ApiUnauthorized);
