namespace AuthHandler.Fleet;

/// <summary>What the store held at the end, against the newest tokens the server issued.</summary>
/// <param name="HoldsNewest">The stored refresh token is the grant's current one and the grant is not revoked.</param>
/// <param name="StoredGeneration">The stored refresh token's rotation number (null: none stored, unreadable, or unknown to the server).</param>
internal sealed record StoreCheck(bool HoldsNewest, long? StoredGeneration, long NewestGeneration, bool GrantRevoked, string Note);
