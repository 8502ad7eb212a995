namespace AuthHandler;

/// <summary>Where a <see cref="CredentialTokenStore"/> keeps the tokens, and why there.</summary>
public sealed class TokenStorageLocation
{
    internal TokenStorageLocation(TokenStorageKind kind, string description, string? fallbackReason)
    {
        Kind = kind;
        Description = description;
        FallbackReason = fallbackReason;
    }

    /// <summary>Gets the kind of storage.</summary>
    public TokenStorageKind Kind { get; }

    /// <summary>Gets a sentence for people: which store, and where ("the Secret Service on the D-Bus session bus", "owner-only files in /home/me/.config/AuthHandler").</summary>
    public string Description { get; }

    /// <summary>Gets why the credential store is not used, when the tokens fell back to the file; otherwise <see langword="null"/>.</summary>
    public string? FallbackReason { get; }

    /// <summary>Returns the description, with the reason for a fallback.</summary>
    /// <returns>For example "owner-only files in /home/me/.config/AuthHandler (the credential store cannot be used: no D-Bus session bus)".</returns>
    public override string ToString() => FallbackReason is null ? Description : $"{Description} (the credential store cannot be used: {FallbackReason})";
}
