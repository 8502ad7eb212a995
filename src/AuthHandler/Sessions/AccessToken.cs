using System.Diagnostics;
using System.Globalization;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Sessions.Internal;

namespace AuthHandler;

/// <summary>
/// An access token to send without <see cref="HttpClient"/>: gRPC call credentials, SignalR's
/// <c>AccessTokenProvider</c>, a WebSocket's <c>Authorization</c> header, an Azure SDK credential.
/// Instances are immutable.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ToString"/> and the debugger display never show the token value.
/// </para>
/// <para>
/// <see cref="Scheme"/> is what the session's handler puts before the token in the header
/// (<c>Bearer</c>, RFC 6750 §2.1, unless <see cref="DeviceAuthOptions.AuthorizationScheme"/> names
/// another), so that a caller builds the same header: <c>$"{token.Scheme} {token.Value}"</c>.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class AccessToken
{
    /// <summary>Creates an access token, for example to return from a test double of <see cref="IDeviceAuthSession"/>.</summary>
    /// <param name="value">The token. Must not be empty.</param>
    /// <param name="scheme">The authorization scheme it is sent with, e.g. <c>Bearer</c>. Must not be empty.</param>
    /// <param name="expiresAt">When the token expires.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> or <paramref name="scheme"/> is empty.</exception>
    public AccessToken(string value, string scheme, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        Value = value;
        Scheme = scheme;
        ExpiresAt = expiresAt;
    }

    /// <summary>The token of a session's snapshot: the session tells it apart from a newer one by reference.</summary>
    internal AccessToken(TokenSnapshot snapshot, string scheme)
        : this(snapshot.Tokens.AccessToken, scheme, snapshot.Tokens.ExpiresAt)
    {
        Snapshot = snapshot;
    }

    /// <summary>Gets the token value. Secret: never log it.</summary>
    public string Value { get; }

    /// <summary>Gets the authorization scheme the token is sent with (<c>Bearer</c> unless configured otherwise).</summary>
    public string Scheme { get; }

    /// <summary>Gets when the token expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// Creates a DPoP proof (RFC 9449 §4) for one request that sends this DPoP-bound token outside
    /// the session's <see cref="HttpClient"/> handler (a gRPC call, a WebSocket, an SDK): put it in
    /// the request's <c>DPoP</c> header beside <c>Authorization: DPoP …</c>. Each call makes a new
    /// proof (a new <c>jti</c>, servers refuse a replay): make one per request, and a new one for
    /// each retry. The proof holds no secret; it is signed with the key the tokens are bound to.
    /// </summary>
    /// <param name="method">The method of the request.</param>
    /// <param name="target">The absolute URI of the request; the proof leaves out its query and fragment.</param>
    /// <param name="nonce">The server's <c>DPoP-Nonce</c>, when it demanded one (RFC 9449 §8, §9). When
    /// null, the latest nonce the session received from the target's origin, if any.</param>
    /// <returns>The proof, or <see langword="null"/> when this token is not DPoP-bound (its
    /// <see cref="Scheme"/> is not <c>DPoP</c>, or the app created it).</returns>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not an absolute http(s) URI, or
    /// <paramref name="nonce"/> is not a valid nonce (visible ASCII other than quotes and backslashes, at most 1024 characters).</exception>
    public string? CreateDPoPProof(HttpMethod method, Uri target, string? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.IsAbsoluteUri || (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("The target must be an absolute http or https URI.", nameof(target));
        }

        if (nonce is not null && !DPoPNonceCache.IsValidNonce(nonce))
        {
            throw new ArgumentException("The nonce is not a valid DPoP-Nonce value.", nameof(nonce));
        }

        return Snapshot?.DPoP is { CanProve: true } binding
            ? binding.CreateProof(method, target, nonce ?? binding.Nonces.Get(target))
            : null;
    }

    /// <summary>The session snapshot this token came from; null for a token the app created.</summary>
    internal TokenSnapshot? Snapshot { get; }

    /// <summary>Returns a description of the token that does not contain its value.</summary>
    /// <returns>The scheme and the expiry.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"AccessToken {{ Scheme = {Scheme}, ExpiresAt = {ExpiresAt:O} }}");
}
