using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// Writes DPoP proof JWTs (RFC 9449 §4.2) for one key. The budget is one ES256 signature
/// per proof, so everything but the signature is kept small: the header is encoded once per key,
/// the payload is written with a reused <see cref="Utf8JsonWriter"/> straight into bytes, the JWS is
/// assembled in one buffer and becomes one string.
/// </summary>
internal sealed class DPoPProofWriter
{
    private const int SignatureLength = 64;

    private const int JtiLength = 16;

    // Signing inputs up to this size are built on the stack; a long htu or nonce rents instead.
    private const int StackLimit = 1024;

    [ThreadStatic]
    private static PayloadBuffer? t_payload;

    private readonly DPoPKey _key;
    private readonly TimeProvider _timeProvider;

    // base64url(JOSE header) followed by '.', ASCII: the same bytes start every proof of this key.
    private readonly byte[] _headerPrefix;

    // The last target and access token seen, with their htu and ath: a client sends the same
    // token (for its lifetime) and often the same Uri instance (a static URI, a re-send) again,
    // and both are immutable, so the next proof skips the hash and the URI formatting. Racing
    // writers only cost a recomputation; a reader sees a whole entry or the previous one.
    private TargetEntry? _lastTarget;
    private AccessTokenEntry? _lastAccessToken;

    public DPoPProofWriter(DPoPKey key, TimeProvider timeProvider)
    {
        _key = key;
        _timeProvider = timeProvider;
        _headerPrefix = EncodeHeader(key);
    }

    /// <summary>Gets the key the proofs are signed with.</summary>
    public DPoPKey Key => _key;

    /// <summary>
    /// Creates a fresh proof, with a new <c>jti</c> each call (RFC 9449 §4.2, §11.1: a re-send
    /// needs a new proof).
    /// </summary>
    /// <param name="method">The request's method: <c>htm</c>.</param>
    /// <param name="target">The absolute request URI; its query and fragment are left out of <c>htu</c>.</param>
    /// <param name="accessToken">The access token sent with the request, for <c>ath</c>; none on token requests.</param>
    /// <param name="nonce">The server's latest <c>DPoP-Nonce</c> (RFC 9449 §8), already validated; none if it gave none.</param>
    public string CreateProof(HttpMethod method, Uri target, string? accessToken = null, string? nonce = null) =>
        Create(method, target, accessToken is null ? default : Ath(accessToken), nonce);

    /// <summary>
    /// Creates a fresh proof for a resource request (RFC 9449 §7) with an <c>ath</c> computed
    /// once by <see cref="HashAccessToken"/>: a token snapshot holds the hash for the token's
    /// lifetime, so a request costs no hash and no comparison of the token.
    /// </summary>
    /// <param name="method">The request's method: <c>htm</c>.</param>
    /// <param name="target">The absolute request URI; its query and fragment are left out of <c>htu</c>.</param>
    /// <param name="accessTokenHash">The <c>ath</c>, as <see cref="HashAccessToken"/> returned it.</param>
    /// <param name="nonce">The server's latest <c>DPoP-Nonce</c> (RFC 9449 §9), already validated; none if it gave none.</param>
    public string CreateProofWithAccessTokenHash(HttpMethod method, Uri target, ReadOnlySpan<byte> accessTokenHash, string? nonce = null)
    {
        if (accessTokenHash.IsEmpty)
        {
            throw new ArgumentException("A resource proof needs the access token's hash.", nameof(accessTokenHash));
        }

        return Create(method, target, accessTokenHash, nonce);
    }

    /// <summary>RFC 9449 §4.2 <c>ath</c> of <paramref name="accessToken"/>: base64url(SHA-256), as UTF-8 bytes, for <see cref="CreateProofWithAccessTokenHash"/>.</summary>
    public static byte[] HashAccessToken(string accessToken)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        var ath = new byte[Base64Url.GetEncodedLength(SHA256.HashSizeInBytes)];
        AccessTokenHash(accessToken, ath);
        return ath;
    }

    // ath: empty on token requests (no access token is sent with them).
    private string Create(HttpMethod method, Uri target, ReadOnlySpan<byte> ath, string? nonce)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.IsAbsoluteUri)
        {
            throw new ArgumentException("The DPoP target must be an absolute URI.", nameof(target));
        }

        if (nonce is not null && !DPoPNonceCache.IsValidNonce(nonce))
        {
            // The cache validates server input; an invalid nonce here is a caller bug, and the
            // message does not echo the value.
            throw new ArgumentException("The DPoP nonce is not 1*NQCHAR (RFC 9449 §8).", nameof(nonce));
        }

        var payload = t_payload ??= new PayloadBuffer();
        var json = WritePayload(payload, method, target, ath, nonce);

        var payloadLength = Base64Url.GetEncodedLength(json.Length);
        var signingLength = _headerPrefix.Length + payloadLength;
        var totalLength = signingLength + 1 + Base64Url.GetEncodedLength(SignatureLength);

        byte[]? rented = null;
        var jws = totalLength <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(totalLength));
        try
        {
            _headerPrefix.CopyTo(jws);
            Base64Url.EncodeToUtf8(json, jws[_headerPrefix.Length..]);

            Span<byte> signature = stackalloc byte[SignatureLength];
            var signed = _key.Sign(jws[..signingLength], signature);
            jws[signingLength] = (byte)'.';
            Base64Url.EncodeToUtf8(signature[..signed], jws[(signingLength + 1)..]);

            return Encoding.ASCII.GetString(jws[..totalLength]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>RFC 9449 §4.2 <c>htu</c>: the target URI without query and fragment (and without user info, RFC 9110 §4.2.4), scheme and host normalised as <see cref="Uri"/> does.</summary>
    internal static string TargetUri(Uri target) =>
        target.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    private ReadOnlySpan<byte> WritePayload(PayloadBuffer payload, HttpMethod method, Uri target, ReadOnlySpan<byte> ath, string? nonce)
    {
        var writer = payload.Start();

        var jti = payload.NextJti();
        Span<byte> encoded = stackalloc byte[Base64Url.GetEncodedLength(SHA256.HashSizeInBytes)];

        writer.WriteStartObject();
        writer.WriteString("jti"u8, encoded[..Base64Url.EncodeToUtf8(jti, encoded)]);
        writer.WriteString("htm"u8, method.Method);
        writer.WriteString("htu"u8, Htu(target));
        writer.WriteNumber("iat"u8, _timeProvider.GetUtcNow().ToUnixTimeSeconds());
        if (!ath.IsEmpty)
        {
            writer.WriteString("ath"u8, ath);
        }

        if (nonce is not null)
        {
            writer.WriteString("nonce"u8, nonce);
        }

        writer.WriteEndObject();
        writer.Flush();
        return payload.Written;
    }

    private string Htu(Uri target)
    {
        if (Volatile.Read(ref _lastTarget) is { } last && ReferenceEquals(last.Target, target))
        {
            return last.Htu;
        }

        var htu = TargetUri(target);
        Volatile.Write(ref _lastTarget, new TargetEntry(target, htu));
        return htu;
    }

    private byte[] Ath(string accessToken)
    {
        if (Volatile.Read(ref _lastAccessToken) is { } last && string.Equals(last.AccessToken, accessToken, StringComparison.Ordinal))
        {
            return last.Ath;
        }

        var ath = HashAccessToken(accessToken);
        Volatile.Write(ref _lastAccessToken, new AccessTokenEntry(accessToken, ath));
        return ath;
    }

    /// <summary>RFC 9449 §4.2 <c>ath</c>: base64url(SHA-256(ASCII(access token))), written as UTF-8 into <paramref name="destination"/>.</summary>
    internal static int AccessTokenHash(string accessToken, Span<byte> destination)
    {
        // An access token is a b64token (RFC 6750 §2.1), ASCII, so its length in bytes is its
        // length in chars; a token that is not ASCII never reaches a header (invariant 10).
        byte[]? rented = null;
        var ascii = accessToken.Length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(accessToken.Length));
        try
        {
            var length = Encoding.ASCII.GetBytes(accessToken, ascii);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(ascii[..length], hash);
            return Base64Url.EncodeToUtf8(hash, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static byte[] EncodeHeader(DPoPKey key)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("typ"u8, "dpop+jwt"u8);
            writer.WriteString("alg"u8, "ES256"u8);
            writer.WritePropertyName("jwk"u8);
            writer.WriteRawValue(key.PublicJwk.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        var header = new byte[Base64Url.GetEncodedLength(buffer.WrittenCount) + 1];
        var written = Base64Url.EncodeToUtf8(buffer.WrittenSpan, header);
        header[written] = (byte)'.';
        return header;
    }

    private sealed record TargetEntry(Uri Target, string Htu);

    private sealed record AccessTokenEntry(string AccessToken, byte[] Ath);

    /// <summary>
    /// One thread's reusable payload writer: a proof is written on one thread, start to end, with
    /// no await. It lives as long as its thread; <see cref="Dispose"/> is there for the analyzers,
    /// a <see cref="Utf8JsonWriter"/> over an <see cref="ArrayBufferWriter{T}"/> holds nothing unmanaged.
    /// </summary>
    private sealed class PayloadBuffer : IDisposable
    {
        // A call into the system CSPRNG costs about as much as the rest of the payload, so jti
        // bytes are drawn for 16 proofs at once; they are public, so keeping them is harmless.
        private readonly byte[] _random = new byte[JtiLength * 16];
        private readonly ArrayBufferWriter<byte> _buffer = new(512);
        private readonly Utf8JsonWriter _writer;
        private int _randomUsed = JtiLength * 16;

        public PayloadBuffer() => _writer = new Utf8JsonWriter(_buffer);

        public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

        public Utf8JsonWriter Start()
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            return _writer;
        }

        public ReadOnlySpan<byte> NextJti()
        {
            if (_randomUsed == _random.Length)
            {
                RandomNumberGenerator.Fill(_random);
                _randomUsed = 0;
            }

            var jti = _random.AsSpan(_randomUsed, JtiLength);
            _randomUsed += JtiLength;
            return jti;
        }

        public void Dispose() => _writer.Dispose();
    }
}
