namespace AuthHandler.Http.Internal;

/// <summary>The origins (scheme, host, port) that may receive the token.</summary>
internal sealed class OriginSet
{
    private readonly Uri[] _origins;

    // The last URI found allowed. A Uri cannot change after it is built (Scheme, Host and Port are
    // not virtual), so the same instance has the same origin: a request to a URI the client sends
    // to again (a static URI, a message a resilience handler re-sends, the 401 check after the
    // send) costs one reference compare instead of the origin compare (invariant 2). Only allowed
    // URIs are written here, so a racy read can cost a comparison but never allow a URI the loop
    // below would refuse.
    private Uri? _lastAllowed;

    public OriginSet(IEnumerable<Uri> origins) => _origins = [.. origins];

    public IReadOnlyList<Uri> Origins => _origins;

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

        foreach (var origin in _origins)
        {
            // Uri normalises scheme and host to lower case and fills in default ports.
            if (origin.Port == uri.Port
                && string.Equals(origin.Scheme, uri.Scheme, StringComparison.Ordinal)
                && string.Equals(origin.Host, uri.Host, StringComparison.OrdinalIgnoreCase))
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
}
