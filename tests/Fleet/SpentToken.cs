namespace AuthHandler.Fleet;

/// <summary>A rotated-away refresh token: when it was redeemed and what it was redeemed for.</summary>
internal sealed record SpentToken(long Generation, DateTimeOffset SpentAt, IssuedTokens Successor);
