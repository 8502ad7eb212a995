using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// Windows: the token record encrypted with DPAPI for the current user
/// (<see cref="DataProtectionScope.CurrentUser"/>), in <c>tokens-….dpapi</c> beside the lock file,
/// written atomically like the token file. Only this user on this machine can decrypt it; a copy
/// taken elsewhere (a backup, another account) is unreadable. The Credential Manager was not
/// chosen: its blobs are limited to 2,560 bytes, which a record with a large JWT access token and
/// refresh token can exceed.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class DpapiFileBackend : ISecretBackend
{
    // Binds the ciphertext to this use: another program's DPAPI blob of the same user does not decrypt here.
    private static readonly byte[] Entropy = Encoding.UTF8.GetBytes("AuthHandler token record v1");

    public TokenStorageKind Kind => TokenStorageKind.DataProtectionApi;

    public string Description => "DPAPI-protected files of the current Windows user";

    public ValueTask ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ = ProtectedData.Protect([1], Entropy, DataProtectionScope.CurrentUser);
        }
        catch (CryptographicException ex)
        {
            throw new CredentialStoreUnavailableException($"DPAPI cannot protect data for this user ({ex.Message})", ex);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<byte[]?> ReadAsync(SecretName name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (await AtomicFile.ReadAsync(path, $"The protected token file {path}", cancellationToken).ConfigureAwait(false) is not { } protectedBytes)
        {
            return null;
        }

        try
        {
            return ProtectedData.Unprotect(protectedBytes, Entropy, DataProtectionScope.CurrentUser);
        }
        catch (CryptographicException)
        {
            // Not this user's, not this machine's, or damaged. The message of the cause is not quoted: it says nothing more.
            throw new TokenStoreException($"The protected token file {path} cannot be decrypted by this Windows user; sign in again to replace it.");
        }
    }

    public async ValueTask WriteAsync(SecretName name, byte[] secret, CancellationToken cancellationToken)
    {
        var protectedBytes = ProtectedData.Protect(secret, Entropy, DataProtectionScope.CurrentUser);
        await AtomicFile.WriteAsync(name.Directory, PathOf(name), (stream, cancellation) => stream.WriteAsync(protectedBytes, cancellation), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DeleteAsync(SecretName name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenStoreException($"The protected token file {path} cannot be deleted: {ex.Message}", isTransient: true, ex);
        }

        return ValueTask.CompletedTask;
    }

    private static string PathOf(SecretName name) => Path.Combine(name.Directory, "tokens-" + name.KeyHash + ".dpapi");
}
