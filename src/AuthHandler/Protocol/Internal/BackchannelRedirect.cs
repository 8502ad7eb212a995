using AuthHandler.Http.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Invariant 10: back-channel calls (token, device authorization, discovery, revocation) never
/// follow a redirect. Their primary handler does not follow (<c>RedirectHandlerFilter</c>); this
/// turns the 3xx into words for the typed error the caller gets.
/// </summary>
internal static class BackchannelRedirect
{
    /// <summary>Any 3xx: none of these calls has a use for one, 304 included.</summary>
    public static bool IsRedirect(HttpResponseMessage response) => (int)response.StatusCode is >= 300 and < 400;

    /// <summary>
    /// "answered 307, a redirect to https://host:port; …": the target's origin only, sanitised,
    /// never the Location as sent: its path or query may hold a code or a token, and it is
    /// server text that reaches a log.
    /// </summary>
    public static string Describe(Uri requestUri, HttpResponseMessage response)
    {
        var target = RedirectPolicy.ResolveLocation(requestUri, response.Headers.Location);
        var where = target is null
            ? "a redirect without a usable Location"
            : "a redirect to " + Text.PrintableAscii($"{target.Scheme}://{target.IdnHost}{(target.IsDefaultPort ? string.Empty : ":" + target.Port)}", 200);
        return $"answered {(int)response.StatusCode}, {where}; back-channel requests never follow redirects, so nothing was sent there";
    }
}
