using System.Diagnostics;
using System.Globalization;
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

    /// <summary>The session snapshot this token came from; null for a token the app created.</summary>
    internal TokenSnapshot? Snapshot { get; }

    /// <summary>Returns a description of the token that does not contain its value.</summary>
    /// <returns>The scheme and the expiry.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"AccessToken {{ Scheme = {Scheme}, ExpiresAt = {ExpiresAt:O} }}");
}
