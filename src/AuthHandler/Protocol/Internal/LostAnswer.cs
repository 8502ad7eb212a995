using System.Net;
using System.Net.Sockets;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Whether a token request that got no usable answer may still have been processed by the server
/// (for a refresh: the refresh token rotated, and the answer that carried its successor lost).
/// </summary>
internal static class LostAnswer
{
    /// <summary>
    /// A failure without a usable answer. Never sent (the name did not resolve, the connection or
    /// its TLS could not be made, a proxy refused the tunnel) is not lost; a timeout, a reset or an
    /// end of the response after the request went out may be, and so is a body that could not be read.
    /// </summary>
    public static bool Of(TokenEndpointException failure)
    {
        if (failure.StatusCode is { } status)
        {
            // A status came but its body did not (or was too large), or it was a redirect, which
            // is not the token endpoint's answer at all.
            return (int)status is >= 200 and < 300 || MayHaveBeenProcessed(status);
        }

        return !NeverSent(failure.InnerException);
    }

    /// <summary>
    /// An error status without an OAuth error. 503 and 429 say the request was not processed
    /// (RFC 9110 §15.6.4, RFC 6585 §4), and so do 501 and 505; other 5xx (500, 502, 504: a crash,
    /// a proxy that lost the upstream's answer) may come after the work was done. A 4xx was refused.
    /// </summary>
    public static bool MayHaveBeenProcessed(HttpStatusCode status) => (int)status is >= 500 and < 600
        && status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported);

    private static bool NeverSent(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError }:
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound }:
                    return true;
            }
        }

        return false;
    }
}
