namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// Why a stored DPoP key could not be used. Carries no key material, so it can go into a log
/// line or a typed error as it is; every value means the same thing to the session: the tokens
/// bound to that key are unusable (RFC 9449 §5), so sign-in is required.
/// </summary>
internal enum DPoPKeyImportError
{
    /// <summary>The key imported.</summary>
    None,

    /// <summary>Nothing was stored, or the text is not base64url.</summary>
    NotBase64Url,

    /// <summary>The bytes are not one PKCS#8 EC private key.</summary>
    NotPkcs8,

    /// <summary>An EC key, but not on P-256, so not usable for ES256 (RFC 7518 §3.4).</summary>
    WrongCurve,

    /// <summary>The stored public half does not belong to the private half: a signature does not verify.</summary>
    Inconsistent,
}
