namespace AuthHandler;

/// <summary>Where a <see cref="CredentialTokenStore"/> keeps the tokens.</summary>
public enum TokenStorageKind
{
    /// <summary>An owner-only JSON file (mode 0600 on Unix), not encrypted: the fallback when no credential store can be used.</summary>
    File = 0,

    /// <summary>The Secret Service on the D-Bus session bus (GNOME Keyring, KWallet, KeePassXC): Linux.</summary>
    SecretService = 1,

    /// <summary>The user's default Keychain, as a generic password: macOS.</summary>
    Keychain = 2,

    /// <summary>A file encrypted with DPAPI for the current user: Windows.</summary>
    DataProtectionApi = 3,
}
