namespace AuthHandler.Http.Internal;

/// <summary>The origins (scheme, host, port) that may receive the token.</summary>
internal sealed class OriginSet
{
    private readonly Uri[] _origins;

    public OriginSet(IEnumerable<Uri> origins) => _origins = [.. origins];

    public IReadOnlyList<Uri> Origins => _origins;

    public bool IsAllowed(Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
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
