using System.Runtime.Versioning;
using static AuthHandler.Storage.Internal.KeychainInterop;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// macOS: a generic-password item in the user's default Keychain (service "AuthHandler", account
/// "directory|key hash"). Every query says <c>kSecUseAuthenticationUI = Fail</c>: a locked
/// Keychain answers errSecInteractionNotAllowed instead of showing a password dialog, which a
/// CLI in an SSH session would wait for forever. The calls are synchronous in Security.framework,
/// so each runs on the thread pool under a timeout.
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class KeychainBackend : ISecretBackend
{
    private const string ServiceName = "AuthHandler";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly SecretName ProbeName = new("probe", "00000000000000000000000000000000");

    public TokenStorageKind Kind => TokenStorageKind.Keychain;

    public string Description => "the user's default Keychain";

    public async ValueTask ProbeAsync(CancellationToken cancellationToken) =>
        _ = await ReadAsync(ProbeName, cancellationToken).ConfigureAwait(false);

    public ValueTask<byte[]?> ReadAsync(SecretName name, CancellationToken cancellationToken) => RunAsync(
        () =>
        {
            var constants = Constants;
            using var query = new Query(name, (constants.ReturnData, constants.BooleanTrue), (constants.MatchLimit, constants.MatchLimitOne));
            var status = SecItemCopyMatching(query.Handle, out var data);
            if (status == ItemNotFound)
            {
                return null;
            }

            Check(status, "read");
            try
            {
                return CopyBytes(data);
            }
            finally
            {
                CFRelease(data);
            }
        },
        cancellationToken);

    public async ValueTask WriteAsync(SecretName name, byte[] secret, CancellationToken cancellationToken) => _ = await RunAsync<bool>(
        () =>
        {
            var constants = Constants;
            var data = CreateData(secret);
            var label = CreateString(name.Label);
            try
            {
                // Update in place when the item exists (one step: readers see old or new); add it otherwise.
                using var query = new Query(name);
                using var update = new OwnedDictionary((constants.ValueData, data), (constants.AttributeLabel, label));
                var status = SecItemUpdate(query.Handle, update.Handle);
                if (status == ItemNotFound)
                {
                    using var add = new Query(name, (constants.ValueData, data), (constants.AttributeLabel, label));
                    status = SecItemAdd(add.Handle, IntPtr.Zero);
                }

                Check(status, "write");
                return true;
            }
            finally
            {
                CFRelease(data);
                CFRelease(label);
            }
        },
        cancellationToken).ConfigureAwait(false);

    public async ValueTask DeleteAsync(SecretName name, CancellationToken cancellationToken) => _ = await RunAsync<bool>(
        () =>
        {
            using var query = new Query(name);
            var status = SecItemDelete(query.Handle);
            if (status != ItemNotFound)
            {
                Check(status, "delete");
            }

            return true;
        },
        cancellationToken).ConfigureAwait(false);

    private static async ValueTask<T> RunAsync<T>(Func<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(call, cancellationToken).WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TokenStoreException($"The Keychain did not answer within {Timeout.TotalSeconds:0} s; the tokens are kept and the next use tries again.", isTransient: true, ex);
        }
        catch (DllNotFoundException ex)
        {
            throw new CredentialStoreUnavailableException("Security.framework cannot be loaded", ex);
        }
    }

    private static void Check(int status, string operation)
    {
        switch (status)
        {
            case Success:
                return;
            case InteractionNotAllowed or AuthFailed or UserCanceled:
                throw new CredentialStoreUnavailableException($"the Keychain is locked and AuthHandler does not wait for its password dialog (OSStatus {status}; unlock it with `security unlock-keychain`)");
            case NoSuchKeychain or NotAvailable:
                throw new CredentialStoreUnavailableException($"no default Keychain is available to this session (OSStatus {status})");
            default:
                throw new TokenStoreException($"The Keychain could not {operation} the token item (OSStatus {status}).", isTransient: true);
        }
    }

    /// <summary>A CFDictionary, released on dispose.</summary>
    private sealed class OwnedDictionary : IDisposable
    {
        public OwnedDictionary(params ReadOnlySpan<(IntPtr Key, IntPtr Value)> entries)
        {
            Span<IntPtr> keys = stackalloc IntPtr[entries.Length];
            Span<IntPtr> values = stackalloc IntPtr[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                (keys[i], values[i]) = entries[i];
            }

            Handle = CreateDictionary(keys, values);
        }

        public IntPtr Handle { get; }

        public void Dispose() => CFRelease(Handle);
    }

    /// <summary>The query for one item: class, service, account, never a dialog; plus the extra entries given.</summary>
    private sealed class Query : IDisposable
    {
        private readonly IntPtr _service;
        private readonly IntPtr _account;
        private readonly OwnedDictionary _dictionary;

        public Query(SecretName name, params ReadOnlySpan<(IntPtr Key, IntPtr Value)> extra)
        {
            var constants = Constants;
            _service = CreateString(ServiceName);
            _account = CreateString(name.Account);
            Span<(IntPtr, IntPtr)> entries = new (IntPtr, IntPtr)[4 + extra.Length];
            entries[0] = (constants.Class, constants.ClassGenericPassword);
            entries[1] = (constants.AttributeService, _service);
            entries[2] = (constants.AttributeAccount, _account);
            entries[3] = (constants.UseAuthenticationUI, constants.UseAuthenticationUIFail);
            extra.CopyTo(entries[4..]);
            _dictionary = new OwnedDictionary(entries);
        }

        public IntPtr Handle => _dictionary.Handle;

        public void Dispose()
        {
            _dictionary.Dispose();
            CFRelease(_service);
            CFRelease(_account);
        }
    }
}
