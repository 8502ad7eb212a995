namespace AuthHandler;

/// <summary>A session redeemed its refresh token for a new access token.</summary>
public sealed class RefreshedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="clientName">The HTTP client name of the session.</param>
    /// <param name="expiresAt">When the new access token expires.</param>
    /// <param name="refreshTokenRotated">Whether the server issued a new refresh token.</param>
    public RefreshedEventArgs(string clientName, DateTimeOffset expiresAt, bool refreshTokenRotated)
    {
        ClientName = clientName;
        ExpiresAt = expiresAt;
        RefreshTokenRotated = refreshTokenRotated;
    }

    /// <summary>Gets the HTTP client name of the session.</summary>
    public string ClientName { get; }

    /// <summary>Gets when the new access token expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Gets a value indicating whether the server issued a new refresh token (rotation).</summary>
    public bool RefreshTokenRotated { get; }
}
