using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace AuthHandler.Browser.Internal;

/// <summary>The per-attempt secrets of a browser sign-in: PKCE (RFC 7636), <c>state</c> and <c>nonce</c>.</summary>
internal static class Pkce
{
    /// <summary>A fresh code verifier: 32 random bytes, base64url (43 characters, RFC 7636 §4.1).</summary>
    public static string NewVerifier() => NewRandom();

    /// <summary>A fresh random value of 256 bits, base64url: a verifier, a <c>state</c> or a <c>nonce</c>.</summary>
    public static string NewRandom() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>RFC 7636 §4.2: <c>BASE64URL(SHA256(ASCII(code_verifier)))</c>.</summary>
    public static string S256(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>Whether <paramref name="received"/> equals <paramref name="expected"/>, in time that does not depend on where they differ.</summary>
    public static bool FixedTimeEquals(string? received, string expected) =>
        received is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(received), Encoding.UTF8.GetBytes(expected));
}
