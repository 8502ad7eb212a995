namespace AuthHandler.Http.Internal;

/// <summary>
/// The origins (scheme, host, port) that may receive one client's token: the explicit
/// <see cref="DeviceAuthClientOptions.AllowedOrigins"/>, or — when there are none — the origin
/// of the first request the handler sees, pinned for the life of the client registration.
/// </summary>
/// <remarks>
/// The client's <see cref="HttpClient.BaseAddress"/> cannot be known without running the app's
/// code (its configure delegates, or the typed client's constructor, which runs after the
/// factory built the handler chain), and the handler sees only the request's absolute URI. The
/// first request of a client goes, in the usual app, to the API the client is for: pinning its
/// origin (trust on first use) gives that API the token and no other origin ever, without
/// touching user code. Apps whose first request may go elsewhere list their origins instead.
/// </remarks>
internal sealed class OriginSet
{
    private readonly Uri[] _origins;

    // Pinning only: the first request's origin. Written once, with a compare-and-swap, so when the
    // first requests race only one origin ever wins, and every later read sees that one.
    private Uri? _pinned;

    // The last URI found allowed. A Uri cannot change after it is built (Scheme, Host and Port are
    // not virtual), so the same instance has the same origin: a request to a URI the client sends
    // to again (a static URI, a message a resilience handler re-sends, the 401 check after the
    // send) costs one reference compare instead of the origin compare (invariant 2). Only allowed
    // URIs are written here, so a racy read can cost a comparison but never allow a URI the
    // compare below would refuse.
    private Uri? _lastAllowed;

    private int _refusedBefore;

    public OriginSet(IEnumerable<Uri> origins)
    {
        _origins = [.. origins];
        PinsFirstOrigin = _origins.Length == 0;
    }

    /// <summary>Gets a value indicating whether no origin was listed, so the first request's origin is pinned.</summary>
    public bool PinsFirstOrigin { get; }

    /// <summary>
    /// Decides a request's first hop, and pins its origin when it is the client's first request
    /// and no origin is listed. Only a secure origin (HTTPS, or HTTP on loopback: invariant 8) is
    /// pinned; a request to any other origin is refused and pins nothing.
    /// </summary>
    public OriginDecision Authorize(Uri? uri)
    {
        if (IsAllowed(uri))
        {
            return OriginDecision.Allowed;
        }

        if (PinsFirstOrigin && Volatile.Read(ref _pinned) is null && uri is { IsAbsoluteUri: true } && IsSecure(uri))
        {
            // The user info is not part of the origin and must not be kept or logged.
            var origin = new Uri(uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped));
            if (Interlocked.CompareExchange(ref _pinned, origin, null) is null)
            {
                Volatile.Write(ref _lastAllowed, uri);
                return OriginDecision.Pinned;
            }
        }

        // Another first request may have pinned its origin since the first look (before or during
        // the compare-and-swap above): this one is decided against that origin.
        if (PinsFirstOrigin && IsAllowed(uri))
        {
            return OriginDecision.Allowed;
        }

        return Interlocked.Exchange(ref _refusedBefore, 1) == 0 ? OriginDecision.FirstRefused : OriginDecision.Refused;
    }

    /// <summary>Whether <paramref name="uri"/> is on an allowed origin; never pins (redirect hops, the 401 re-send).</summary>
    public bool IsAllowed(Uri? uri)
    {
        if (uri is null)
        {
            return false;
        }

        if (ReferenceEquals(uri, Volatile.Read(ref _lastAllowed)))
        {
            return true;
        }

        if (!uri.IsAbsoluteUri)
        {
            return false;
        }

        if (PinsFirstOrigin)
        {
            if (Volatile.Read(ref _pinned) is { } pinned && SameOrigin(pinned, uri))
            {
                Volatile.Write(ref _lastAllowed, uri);
                return true;
            }

            return false;
        }

        foreach (var origin in _origins)
        {
            if (SameOrigin(origin, uri))
            {
                Volatile.Write(ref _lastAllowed, uri);
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses an origin (<c>https://host[:port]</c>, an optional trailing slash); null when it is not one.</summary>
    public static Uri? TryParseOrigin(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.AbsolutePath != "/" || uri.Query.Length != 0 || uri.Fragment.Length != 0 || uri.UserInfo.Length != 0)
        {
            return null;
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Invariant 8: tokens travel over HTTPS, except to this machine.</summary>
    public static bool IsSecure(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);

    /// <summary>The origin of <paramref name="uri"/> for a log line: scheme, host and port only (no user info, path or query).</summary>
    public static string Describe(Uri? uri) => uri is { IsAbsoluteUri: true }
        ? Protocol.Internal.Text.PrintableAscii(uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped), 300)
        : "(relative)";

    // Uri normalises scheme and host to lower case and fills in default ports.
    private static bool SameOrigin(Uri origin, Uri uri) =>
        origin.Port == uri.Port
        && string.Equals(origin.Scheme, uri.Scheme, StringComparison.Ordinal)
        && string.Equals(origin.Host, uri.Host, StringComparison.OrdinalIgnoreCase);
}
