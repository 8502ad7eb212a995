using System.Net;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Http;

/// <summary>
/// Per-request work only: origin check, device headers, token header, send, and on a 401 one
/// compare-and-refresh and one re-send. Holds nothing but a reference to the session and its
/// chain's redirect limit, because <see cref="IHttpClientFactory"/> pools and recycles handler
/// instances (invariant 1).
/// </summary>
/// <remarks>
/// Redirects are followed here, hop by hop, not by the primary handler (which
/// <c>RedirectHandlerFilter</c> stops from following): below this handler a redirect would carry
/// every header but <c>Authorization</c> to wherever it points, and lose <c>Authorization</c>
/// even on the API's own origin. Each hop gets the token and the device headers only while the
/// request has stayed on allowed origins (invariant 8).
/// </remarks>
internal sealed class DeviceAuthHandler : DelegatingHandler
{
    private readonly DeviceAuthSession _session;
    private readonly ClientRequestPolicy _policy;
    private readonly ILogger _logger;

    public DeviceAuthHandler(DeviceAuthSession session, ClientRequestPolicy policy, ILogger logger)
    {
        _session = session;
        _policy = policy;
        _logger = logger;
    }

    /// <summary>
    /// Gets or sets how many redirects this handler follows for one request: what the app's
    /// primary handler would have followed (its <c>MaxAutomaticRedirections</c>), or 0 when the
    /// app turned following off or its primary handler is not one the library knows. Set once by
    /// <c>RedirectHandlerFilter</c> while the factory builds the chain, before any request.
    /// </summary>
    public int RedirectLimit { get; set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Invariant 8: the token and the device headers go only to the allowed origins.
        if (!_policy.Origins.IsAllowed(request.RequestUri))
        {
            // Untouched, but its redirects are followed here as the primary handler no longer does.
            return RedirectLimit == 0 ? base.SendAsync(request, cancellationToken) : SendUntouchedAsync(request, cancellationToken);
        }

        _policy.DeviceHeaders.ApplyTo(request.Headers);
        return SendAuthorizedAsync(request, chain: null, cancellationToken);
    }

    /// <summary>
    /// Sends one hop with the token. <paramref name="chain"/> is null on the request's first hop,
    /// which starts following a redirect answer; on later hops the redirect goes back to the loop.
    /// </summary>
    private async Task<HttpResponseMessage> SendAuthorizedAsync(HttpRequestMessage request, RedirectChain? chain, CancellationToken cancellationToken)
    {
        var token = await _session.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            return SignInRequired(request, response: null);
        }

        SetToken(request, token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return StartsRedirect(response, chain)
                ? await FollowRedirectsAsync(request, response, new RedirectChain(authorized: true, retried: false), cancellationToken).ConfigureAwait(false)
                : response;
        }

        // A 401 from another origin is that origin's business, and re-sending there would hand it
        // the new token (invariant 8); a handler below this one may have changed RequestUri.
        // Invariant 7: one re-send per request, whichever hop of its redirects asked for it.
        if (!_policy.Origins.IsAllowed(request.RequestUri) || chain is { Retried: true })
        {
            return response;
        }

        if (!WwwAuthenticateParser.RefreshCanHelp(response.Headers, out var error))
        {
            Log.NotRetriedChallenge(_logger, _policy.ClientName, error ?? string.Empty);
            return response;
        }

        if (!RequestReplay.CanResend(request))
        {
            Log.NotRetriedBody(_logger, _policy.ClientName, request.Content?.GetType().Name ?? "none");
            return response;
        }

        TokenSnapshot? next;
        try
        {
            next = await _session.RefreshAsync(token, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        if (next is null)
        {
            return SignInRequired(request, response);
        }

        // Invariant 7: exactly one re-send; whatever it answers goes back to the caller, after
        // its redirects if it is one.
        Log.RetryingAfterUnauthorized(_logger, _policy.ClientName);
        _policy.Metrics.Retried(_policy.ClientName);
        response.Dispose();
        SetToken(request, next);
        chain?.Retried = true;
        response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return StartsRedirect(response, chain)
            ? await FollowRedirectsAsync(request, response, new RedirectChain(authorized: true, retried: true), cancellationToken).ConfigureAwait(false)
            : response;
    }

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
                ? await SendAuthorizedAsync(request, chain, cancellationToken).ConfigureAwait(false)
                : await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!RedirectPolicy.IsRedirect(response.StatusCode))
            {
                return response;
            }
        }
    }

    private void SetToken(HttpRequestMessage request, TokenSnapshot token)
    {
        var headers = request.Headers;
        headers.Remove(_policy.HeaderName);
        headers.TryAddWithoutValidation(_policy.HeaderName, token.HeaderValue);
    }

    private HttpResponseMessage SignInRequired(HttpRequestMessage request, HttpResponseMessage? response)
    {
        if (_policy.SignInRequiredBehavior == SignInRequiredBehavior.ThrowException)
        {
            response?.Dispose();
            throw new SignInRequiredException(_policy.ClientName, _session.SignedOutReason);
        }

        // The request was not sent when there was no token to send it with (docs/design.md: sending it
        // without one would hide the real problem).
        return response ?? new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            RequestMessage = request,
            ReasonPhrase = "Sign-in required",
        };
    }
}
