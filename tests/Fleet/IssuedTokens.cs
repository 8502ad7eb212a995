namespace AuthHandler.Fleet;

/// <summary>One token response of the grant: the <paramref name="Generation"/>-th rotation (0: the sign-in).</summary>
internal sealed record IssuedTokens(string AccessToken, string RefreshToken, long Generation, DateTimeOffset ExpiresAt);
