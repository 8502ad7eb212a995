using AuthHandler.Protocol.Internal;

namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// A session's DPoP state (RFC 9449), made once per session: whether DPoP is on, the nonces its
/// servers gave (one cache for the token endpoint and the APIs), and the proof writer of the key of
/// the current token set, imported once per stored key rather than once per request.
/// </summary>
internal sealed class DPoPContext
{
    private readonly TimeProvider _time;

    // The last key read: a token set keeps the same string across requests and refreshes
    // (TokenResponse.ToTokenSet carries it), so a reference compare usually settles it; a store
    // that re-reads its record hands out an equal string, compared once by value.
    private Entry? _last;

    public DPoPContext(bool enabled, DPoPNonceCache nonces, TimeProvider time)
    {
        Enabled = enabled;
        Nonces = nonces;
        _time = time;
    }

    /// <summary>Gets a value indicating whether the session binds its tokens to a key (<see cref="DPoPOptions.Enabled"/>).</summary>
    public bool Enabled { get; }

    /// <summary>Gets the latest <c>DPoP-Nonce</c> per origin, shared by the back channel and the API requests.</summary>
    public DPoPNonceCache Nonces { get; }

    /// <summary>
    /// A new key for a new sign-in attempt (RFC 9449 §5: the grant is bound to the key of its
    /// token request), or null when DPoP is off. Every grant that posts to the token endpoint
    /// starts here, so the key is made in one place. A server whose discovery document lists its
    /// DPoP algorithms without ES256, the only one implemented, gets no sign-in.
    /// </summary>
    /// <exception cref="DeviceAuthorizationException">The server does not accept ES256 proofs, or its discovery document cannot be read.</exception>
    public async ValueTask<DPoPSignIn?> StartSignInAsync(AuthorizationServer server, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return null;
        }

        IReadOnlyList<string>? algorithms;
        try
        {
            algorithms = await server.GetDPoPSigningAlgorithmsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Unavailable, ex.Message, innerException: ex);
        }

        if (algorithms is not null && !algorithms.Contains(DPoPKey.Algorithm, StringComparer.Ordinal))
        {
            // The names were validated by the parser: short printable ASCII, at most 32 of them.
            throw new DeviceAuthorizationException(
                DeviceAuthorizationFailure.Rejected,
                $"The authorization server accepts DPoP proofs signed with {(algorithms.Count == 0 ? "no algorithm" : string.Join(", ", algorithms))} (dpop_signing_alg_values_supported), and this client signs only with {DPoPKey.Algorithm}; turn off DPoP.Enabled or enable {DPoPKey.Algorithm} at the server.");
        }

        return StartSignIn();
    }

    /// <summary>A new key, without asking the server which algorithms it takes (see <see cref="StartSignInAsync"/>).</summary>
    public DPoPSignIn StartSignIn()
    {

        var key = DPoPKey.Create();
        var stored = key.ExportPrivateKey();
        var writer = new DPoPProofWriter(key, _time);
        Volatile.Write(ref _last, new Entry(stored, writer));
        return new DPoPSignIn(writer, stored);
    }

    /// <summary>
    /// The proof writer of a stored key (<see cref="TokenSet.DPoPKey"/>), imported at most once
    /// per key. False with the reason when it cannot be used; the reason carries no key material.
    /// </summary>
    public bool TryGetWriter(string? stored, out DPoPProofWriter? writer, out DPoPKeyImportError error)
    {
        if (stored is not null && Volatile.Read(ref _last) is { } last
            && (ReferenceEquals(last.Stored, stored) || string.Equals(last.Stored, stored, StringComparison.Ordinal)))
        {
            writer = last.Writer;
            error = DPoPKeyImportError.None;
            return true;
        }

        if (!DPoPKey.TryImport(stored, out var key, out error))
        {
            writer = null;
            return false;
        }

        writer = new DPoPProofWriter(key, _time);
        Volatile.Write(ref _last, new Entry(stored!, writer));
        return true;
    }

    public override string ToString() => $"DPoPContext {{ Enabled = {Enabled}, Origins = {Nonces.Count} }}";

    private sealed record Entry(string Stored, DPoPProofWriter Writer)
    {
        // The record's generated ToString would print the stored key.
        public override string ToString() => $"Entry {{ {Writer.Key} }}";
    }
}
