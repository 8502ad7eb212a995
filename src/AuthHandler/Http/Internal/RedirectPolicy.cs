using System.Net;

namespace AuthHandler.Http.Internal;

/// <summary>
/// The pure rules of following one redirect (RFC 9110 §15.4): which answers are redirects, where
/// they point, which method and body the next hop carries, and which redirects are not followed.
/// The handler applies the origin policy on top (invariant 8).
/// </summary>
internal static class RedirectPolicy
{
    /// <summary>
    /// The statuses that <see cref="SocketsHttpHandler"/> follows too, so an app that relied on it
    /// sees the same set: 301, 302, 303, 307, 308, and 300 when it names a preferred choice
    /// (RFC 9110 §15.4.1).
    /// </summary>
    public static bool IsRedirect(HttpStatusCode status) => status
        is HttpStatusCode.MultipleChoices
        or HttpStatusCode.MovedPermanently
        or HttpStatusCode.Found
        or HttpStatusCode.SeeOther
        or HttpStatusCode.TemporaryRedirect
        or HttpStatusCode.PermanentRedirect;

    /// <summary>
    /// The absolute target of a <c>Location</c> value: a relative reference is resolved against
    /// the URI that answered (RFC 9110 §10.2.2), and a target without a fragment inherits the
    /// request's fragment (same section). Null when there is no Location.
    /// </summary>
    public static Uri? ResolveLocation(Uri current, Uri? location)
    {
        if (location is null)
        {
            return null;
        }

        Uri target;
        if (location.IsAbsoluteUri)
        {
            target = location;
        }
        else if (!Uri.TryCreate(current, location, out target!))
        {
            return null;
        }

        var fragment = current.Fragment;
        if (fragment.Length != 0 && target.Fragment.Length == 0)
        {
            target = new UriBuilder(target) { Fragment = fragment[1..] }.Uri;
        }

        return target;
    }

    /// <summary>
    /// True when the redirect would leave https for http: the request, its body and whatever a
    /// later hop carries would then travel in clear text. Browsers and <see cref="SocketsHttpHandler"/>
    /// refuse it too.
    /// </summary>
    public static bool IsDowngrade(Uri from, Uri to) =>
        from.Scheme == Uri.UriSchemeHttps && to.Scheme != Uri.UriSchemeHttps;

    /// <summary>
    /// The method of the next hop. RFC 9110 §15.4.4: after a 303 the target is retrieved with GET
    /// (HEAD stays HEAD). §15.4.2, §15.4.3 (and 300, as .NET does): a POST may become GET, which
    /// is what user agents do. 307 and 308 (§15.4.8, §15.4.9) keep the method and the body.
    /// </summary>
    public static HttpMethod NextMethod(HttpStatusCode status, HttpMethod method) => status switch
    {
        HttpStatusCode.SeeOther when method != HttpMethod.Get && method != HttpMethod.Head => HttpMethod.Get,
        HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently or HttpStatusCode.Found when method == HttpMethod.Post => HttpMethod.Get,
        _ => method,
    };

    /// <summary>
    /// Decides whether <paramref name="response"/>, a redirect, can be followed; on
    /// <see cref="RedirectRefusal.None"/> gives the next hop's target and method. Changes nothing.
    /// </summary>
    public static RedirectRefusal Evaluate(HttpRequestMessage request, HttpResponseMessage response, out Uri? target, out HttpMethod method)
    {
        method = request.Method;
        target = request.RequestUri is { IsAbsoluteUri: true } current ? ResolveLocation(current, response.Headers.Location) : null;
        if (target is null)
        {
            return RedirectRefusal.NoLocation;
        }

        if (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp)
        {
            return RedirectRefusal.UnsupportedScheme;
        }

        if (IsDowngrade(request.RequestUri!, target))
        {
            return RedirectRefusal.Downgrade;
        }

        method = NextMethod(response.StatusCode, request.Method);

        // A kept method keeps the body, which must then be produced a second time (invariant 7).
        return method == request.Method && request.Content is not null && !RequestReplay.CanResend(request)
            ? RedirectRefusal.BodyCannotBeResent
            : RedirectRefusal.None;
    }

    /// <summary>
    /// Turns <paramref name="request"/> into the next hop, the way <see cref="SocketsHttpHandler"/>
    /// does (the caller's message then names the final target in <c>RequestUri</c>): a new target
    /// and method, no body after a change to GET, and no credentials. <c>Authorization</c> goes
    /// as .NET removes it; <paramref name="tokenHeaderName"/> goes whatever its name. The handler
    /// puts the token back only on hops that may have it.
    /// </summary>
    public static void Apply(HttpRequestMessage request, Uri target, HttpMethod method, string tokenHeaderName)
    {
        var headers = request.Headers;
        headers.Remove("Authorization");
        headers.Remove(tokenHeaderName);
        if (method != request.Method)
        {
            request.Method = method;
            request.Content = null;
            if (headers.TransferEncodingChunked == true)
            {
                headers.TransferEncodingChunked = false;
            }
        }

        request.RequestUri = target;
    }

    /// <summary>
    /// Removes the device headers this library added: each of <paramref name="ours"/> whose
    /// single value is still ours. A header the app set itself, with its own value, is the app's
    /// and stays, as any other header of the app's does.
    /// </summary>
    public static void RemoveDeviceHeaders(HttpRequestMessage request, IReadOnlyList<KeyValuePair<string, string>> ours)
    {
        var headers = request.Headers;
        foreach (var (name, value) in ours)
        {
            if (headers.NonValidated.TryGetValues(name, out var values) && values.Count == 1 && string.Equals(values.ToString(), value, StringComparison.Ordinal))
            {
                headers.Remove(name);
            }
        }
    }
}
