namespace AuthHandler.Storage.Internal;

/// <summary>
/// The name of one secret in the credential store: the store's directory and a hash of the store
/// key. The directory is part of the name because it is where the refresh lock is: two stores
/// with different directories have different locks, so they must not share a secret, or two
/// holders could redeem one refresh token (RFC 9700 §4.14). The hash keeps the authority and
/// client id out of the credential store's item names, as out of the token file names.
/// </summary>
/// <param name="Directory">The full path of the store's directory (lock files and fallback files).</param>
/// <param name="KeyHash">The 32 hex digits of <see cref="FileTokenStore"/>'s file name for the key.</param>
internal readonly record struct SecretName(string Directory, string KeyHash)
{
    /// <summary>A label for people browsing their keyring (Seahorse, Keychain Access); no URL, no secret.</summary>
    public string Label => $"AuthHandler tokens ({KeyHash[..8]})";

    /// <summary>One string naming both, for stores with a single account field.</summary>
    public string Account => $"{Directory}|{KeyHash}";
}
