using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;

namespace AuthHandler.Http;

// The redirects of the handler's requests, followed hop by hop (the class remarks in
// DeviceAuthHandler.cs say why): the token and the device headers go only while every hop so far
// went to an allowed origin (invariant 8).
internal sealed partial class DeviceAuthHandler
{
    private async Task<HttpResponseMessage> SendUntouchedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return StartsRedirect(response, chain: null)
            ? await FollowRedirectsAsync(request, response, new RedirectChain(authorized: false, retried: false), cancellationToken).ConfigureAwait(false)
            : response;
    }

    private bool StartsRedirect(HttpResponseMessage response, RedirectChain? chain) =>
        chain is null && RedirectLimit > 0 && RedirectPolicy.IsRedirect(response.StatusCode);

    /// <summary>
    /// Follows the redirects of one request, hop by hop, with the RFC 9110 rules of
    /// <see cref="RedirectPolicy"/> and the origin policy on each hop; returns the first answer
    /// that is not a redirect, or the redirect that is not followed.
    /// </summary>
    private async Task<HttpResponseMessage> FollowRedirectsAsync(HttpRequestMessage request, HttpResponseMessage response, RedirectChain chain, CancellationToken cancellationToken)
    {
        while (true)
        {
            var refusal = RedirectPolicy.Evaluate(request, response, out var target, out var method);
            if (refusal == RedirectRefusal.None && ++chain.Followed > RedirectLimit)
            {
                refusal = RedirectRefusal.HopLimit;
            }

            if (refusal != RedirectRefusal.None)
            {
                if (refusal != RedirectRefusal.NoLocation)
                {
                    Log.RedirectNotFollowed(_logger, _policy.ClientName, (int)response.StatusCode, refusal);
                }

                return response;
            }

            var status = (int)response.StatusCode;
            response.Dispose();
            RedirectPolicy.Apply(request, target!, method, _policy.HeaderName);
            if (chain.Authorized && !_policy.Origins.IsAllowed(target))
            {
                chain.Authorized = false;
                RedirectPolicy.RemoveDeviceHeaders(request, _policy.DeviceHeaders.Headers);
            }

            Log.FollowingRedirect(_logger, _policy.ClientName, status, chain.Authorized);
            response = chain.Authorized
                ? await SendAuthorizedAsync(request, await _session.GetTokenAsync(cancellationToken).ConfigureAwait(false), chain, replaceToken: true, cancellationToken).ConfigureAwait(false)
                : await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!RedirectPolicy.IsRedirect(response.StatusCode))
            {
                return response;
            }
        }
    }
}
