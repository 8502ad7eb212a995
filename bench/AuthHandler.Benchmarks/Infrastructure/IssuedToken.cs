namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>One token the fake token endpoint issued, and which refresh token bought it.</summary>
/// <param name="AccessToken">The new access token.</param>
/// <param name="RedeemedRefreshToken">The refresh token the client sent.</param>
/// <param name="ExpiresAt">When the API stops accepting the access token (no skew).</param>
/// <param name="Duration">How long the token endpoint took to answer.</param>
internal sealed record IssuedToken(string AccessToken, string RedeemedRefreshToken, DateTimeOffset ExpiresAt, TimeSpan Duration);
