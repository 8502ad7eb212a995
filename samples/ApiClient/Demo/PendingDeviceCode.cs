namespace ApiClient.Demo;

/// <summary>A device code the embedded server has issued and not yet redeemed.</summary>
/// <param name="UserCode">The code the user would type.</param>
/// <param name="ApproveAt">When the simulated user approves it.</param>
/// <param name="ExpiresAt">When it expires (RFC 8628 <c>expires_in</c>).</param>
internal sealed record PendingDeviceCode(string UserCode, DateTimeOffset ApproveAt, DateTimeOffset ExpiresAt);
