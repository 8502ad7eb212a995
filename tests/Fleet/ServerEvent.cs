namespace AuthHandler.Fleet;

/// <summary>Something the authorization server did that a report wants on its timeline (not every refresh).</summary>
/// <param name="At">Unix milliseconds.</param>
/// <param name="Kind">reuse, revocation, grace-replay, lost-response, held, abandoned.</param>
/// <param name="Worker">The worker whose request it was (its <c>X-Fleet-Worker</c> header).</param>
/// <param name="Generation">The generation of the refresh token presented.</param>
internal sealed record ServerEvent(long At, string Kind, string Worker, long Generation);
