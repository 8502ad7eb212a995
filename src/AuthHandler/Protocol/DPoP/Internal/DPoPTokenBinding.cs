namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// What a DPoP-bound token snapshot needs for its requests (RFC 9449 §7), made once per token:
/// the proof writer of the key of <see cref="TokenSet.DPoPKey"/>, and the access
/// token's <c>ath</c>. A request then costs one proof (one signature), with no key import and
/// no hash of the token (the budget: at most 1.2× one ES256 signature).
/// </summary>
/// <remarks>
/// A key that does not import leaves a binding that <see cref="CanProve"/> nothing: its token
/// is never sent, neither with a broken proof nor as a bearer token (RFC 9449 §7.1), and the
/// request gets what a missing token gets. The key is never disposed here: a request in flight
/// may still sign with it after the session moved to a newer snapshot, and the finalizer frees
/// it once no snapshot holds it.
/// </remarks>
internal sealed class DPoPTokenBinding
{
    private readonly DPoPProofWriter? _writer;
    private readonly byte[] _accessTokenHash;

    private DPoPTokenBinding(DPoPProofWriter? writer, byte[] accessTokenHash, DPoPKeyImportError importError, DPoPNonceCache nonces)
    {
        _writer = writer;
        _accessTokenHash = accessTokenHash;
        ImportError = importError;
        Nonces = nonces;
    }

    /// <summary>Gets the session's latest nonce per origin (<see cref="DPoPContext.Nonces"/>).</summary>
    public DPoPNonceCache Nonces { get; }

    /// <summary>Gets a value indicating whether the key imported, so proofs can be made.</summary>
    public bool CanProve => _writer is not null;

    /// <summary>Gets why the key did not import (<see cref="DPoPKeyImportError.None"/> when it did); carries no key material.</summary>
    public DPoPKeyImportError ImportError { get; }

    /// <summary>Gets the RFC 7638 thumbprint of the bound key (public), or <see langword="null"/> when it did not import.</summary>
    public string? Thumbprint => _writer?.Key.Thumbprint;

    /// <summary>
    /// Prepares the proofs of the access token of <paramref name="tokens"/> with the writer of its
    /// key from the session's cache (<see cref="DPoPContext.TryGetWriter"/>: a key is imported once,
    /// for the refreshes and the API requests alike); never throws on a bad key.
    /// </summary>
    public static DPoPTokenBinding Create(TokenSet tokens, DPoPContext dpop) =>
        dpop.TryGetWriter(tokens.DPoPKey, out var writer, out var error)
            ? new DPoPTokenBinding(writer, DPoPProofWriter.HashAccessToken(tokens.AccessToken), DPoPKeyImportError.None, dpop.Nonces)
            : new DPoPTokenBinding(writer: null, [], error, dpop.Nonces);

    /// <summary>
    /// A fresh proof for one send of a request (RFC 9449 §4.2: a new <c>jti</c> each time, so a
    /// re-send or a redirect hop gets its own) to <paramref name="target"/>, with <c>ath</c> and
    /// the origin's latest <paramref name="nonce"/>.
    /// </summary>
    public string CreateProof(HttpMethod method, Uri target, string? nonce) =>
        (_writer ?? throw new InvalidOperationException("The DPoP key did not import; this token cannot be sent."))
            .CreateProofWithAccessTokenHash(method, target, _accessTokenHash, nonce);

    /// <summary>Names the binding by its public thumbprint; never the key or the token.</summary>
    public override string ToString() => CanProve ? $"DPoPTokenBinding(jkt={Thumbprint})" : $"DPoPTokenBinding(unusable: {ImportError})";
}
