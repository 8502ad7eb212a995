using System.Net;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.DPoP.Internal;
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
/// <para>
/// It sits directly above the primary handler (<c>RedirectHandlerFilter</c> puts it there), below
/// the factory's loggers and every handler the app adds, and the token is on the request only
/// while this handler sends it: no other handler or logger sees it.
/// </para>
/// <para>
/// Redirects are followed here, hop by hop, not by the primary handler (which
/// <c>RedirectHandlerFilter</c> stops from following): below this handler a redirect would carry
/// every header but <c>Authorization</c> to wherever it points, and lose <c>Authorization</c>
/// even on the API's own origin. Each hop gets the token and the device headers only while the
/// request has stayed on allowed origins (invariant 8).
/// </para>
/// <para>
/// A DPoP-bound token (RFC 9449 §7) goes as <c>Authorization: DPoP …</c> with a <c>DPoP</c> proof
/// header made for that one send: its method, its URI, a new <c>jti</c>, the token's <c>ath</c>
/// and the origin's latest nonce. Every send gets its own proof (a re-send after a 401, each
/// redirect hop), and the proof is taken off with the token. A bearer token does no DPoP work.
/// </para>
/// </remarks>
internal sealed partial class DeviceAuthHandler : DelegatingHandler
{
    /// <summary>The request header that carries a DPoP proof (RFC 9449 §4.1).</summary>
    internal const string DPoPProofHeaderName = "DPoP";

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
        var decision = _policy.Origins.Authorize(request.RequestUri);
        if (decision != OriginDecision.Allowed && !Admitted(decision, request.RequestUri))
        {
            // Untouched, but its redirects are followed here as the primary handler no longer does.
            return RedirectLimit == 0 ? base.SendAsync(request, cancellationToken) : SendUntouchedAsync(request, cancellationToken);
        }

        // A request that carries no header yet (most first sends) carries neither the device
        // headers nor a token to replace: the look for them is skipped. A message sent again (a
        // resilience handler's retry) carries ours, and gets the full checks.
        var headers = request.Headers;
        var carriesHeaders = headers.NonValidated.Count != 0;
        _policy.DeviceHeaders.ApplyTo(headers, mayCarryThem: carriesHeaders);
        var replaceToken = carriesHeaders || _policy.DeviceHeadersCarryTokenHeader;

        // Invariant 2: a fresh token is a read, and then the send is one async frame.
        if (_session.FreshToken is { } fresh)
        {
            return SendAuthorizedAsync(request, fresh, chain: null, replaceToken, cancellationToken);
        }

        var token = _session.GetTokenAsync(cancellationToken);
        return token.IsCompletedSuccessfully
            ? SendAuthorizedAsync(request, token.Result, chain: null, replaceToken, cancellationToken)
            : WaitThenSendAuthorizedAsync(request, token, chain: null, replaceToken, cancellationToken);
    }

    /// <summary>Waits for the session's token (a refresh, the first read of the store), then sends.</summary>
    private async Task<HttpResponseMessage> WaitThenSendAuthorizedAsync(HttpRequestMessage request, ValueTask<TokenSnapshot?> token, RedirectChain? chain, bool replaceToken, CancellationToken cancellationToken) =>
        await SendAuthorizedAsync(request, await token.ConfigureAwait(false), chain, replaceToken, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends one hop with <paramref name="token"/> (null: a sign-in is required, nothing is sent).
    /// <paramref name="chain"/> is null on the request's first hop, which starts following a
    /// redirect answer; on later hops the redirect goes back to the loop.
    /// <paramref name="replaceToken"/> is false only when the request cannot carry the token
    /// header yet, so there is nothing to remove before it is set.
    /// </summary>
    private async Task<HttpResponseMessage> SendAuthorizedAsync(HttpRequestMessage request, TokenSnapshot? token, RedirectChain? chain, bool replaceToken, CancellationToken cancellationToken)
    {
        if (token is null || !CanSend(token))
        {
            return SignInRequired(request, response: null);
        }

        SetToken(request, token, replaceToken);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RemoveToken(request, token);
        }

        if (token.DPoP is not null)
        {
            RememberNonce(request, response);
        }

        // One comparison for the usual answer: below 300 is neither a redirect nor a 401.
        var status = (int)response.StatusCode;
        if (status < 300)
        {
            return response;
        }

        if (status == (int)HttpStatusCode.Unauthorized)
        {
            return await RetryUnauthorizedAsync(request, response, token, chain, cancellationToken).ConfigureAwait(false);
        }

        return StartsRedirect(response, chain)
            ? await FollowRedirectsAsync(request, response, new RedirectChain(authorized: true, retried: false), cancellationToken).ConfigureAwait(false)
            : response;
    }

    /// <summary>
    /// The API rejected <paramref name="token"/>: a re-send when a new token or (DPoP) a new
    /// proof with the API's nonce can fix it and the request can be sent again; otherwise the 401
    /// goes back as it is.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Invariant 7 with DPoP: each reason for a re-send is spent at most once per request, on
    /// whichever hop of its redirects, so a request goes out at most three times and never in a
    /// loop. One <b>nonce re-send</b>: a DPoP-bound token answered 401 with
    /// <c>WWW-Authenticate: DPoP error="use_dpop_nonce"</c> and one valid <c>DPoP-Nonce</c> (RFC
    /// 9449 §9) is sent again with the same token and a new proof that carries the nonce, with no
    /// refresh (the token is fine). One <b>refresh re-send</b>: a 401 a refresh can help, read
    /// from the challenge of the scheme the token was sent with only (a <c>Bearer</c> challenge's
    /// error never decides for a DPoP-bound token, nor the other way round), is sent again with
    /// the refreshed token (and a new proof). Either can come first: a nonce round whose re-send
    /// finds the token expired, or a refreshed token whose re-send meets a rotated nonce. A second
    /// <c>use_dpop_nonce</c>, or a second 401 after the refresh, goes back to the caller.
    /// </para>
    /// <para>
    /// Both need a body that can be sent again (<see cref="RequestReplay.CanResend"/>); a
    /// <c>use_dpop_nonce</c> without a valid nonce is not re-sent (the same proof would be refused
    /// again) and neither is an <c>invalid_dpop_proof</c>.
    /// </para>
    /// </remarks>
    private async Task<HttpResponseMessage> RetryUnauthorizedAsync(HttpRequestMessage request, HttpResponseMessage response, TokenSnapshot token, RedirectChain? chain, CancellationToken cancellationToken)
    {
        var refreshed = chain is { Retried: true };
        var nonceResent = chain is { NonceResent: true };
        while (true)
        {
            // A 401 from another origin is that origin's business, and re-sending there would hand
            // it the new token (invariant 8); a handler below this one may have changed RequestUri.
            if (!_policy.Origins.IsAllowed(request.RequestUri))
            {
                return response;
            }

            if (token.DPoP is not null && IsNonceChallenge(response))
            {
                // RFC 9449 §9: not a reason to refresh. RememberNonce already kept the nonce;
                // Remember says again whether this answer carried a valid one.
                if (nonceResent || !_session.DPoPNonces.Remember(request.RequestUri!, response.Headers))
                {
                    Log.DPoPNonceNotResent(_logger, _policy.ClientName, nonceResent ? "the request was already sent again with a nonce" : "the answer carries no valid DPoP-Nonce");
                    return response;
                }

                if (!RequestReplay.CanResend(request))
                {
                    Log.NotRetriedBody(_logger, _policy.ClientName, request.Content?.GetType().Name ?? "none");
                    return response;
                }

                Log.ResendingWithDPoPNonce(_logger, _policy.ClientName);
                nonceResent = true;
                chain?.NonceResent = true;
            }
            else
            {
                // Invariant 7: one refresh re-send per request, whichever hop of its redirects asked for it.
                if (refreshed)
                {
                    return response;
                }

                var scheme = token.DPoP is null ? WwwAuthenticateParser.BearerScheme : WwwAuthenticateParser.DPoPScheme;
                if (!WwwAuthenticateParser.RefreshCanHelp(response.Headers, scheme, out var error))
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

                if (next is null || !CanSend(next))
                {
                    return SignInRequired(request, response);
                }

                Log.RetryingAfterUnauthorized(_logger, _policy.ClientName);
                _policy.Metrics.Retried(_policy.ClientName);
                token = next;
                refreshed = true;
                chain?.Retried = true;
            }

            response.Dispose();
            SetToken(request, token, replace: true);
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                RemoveToken(request, token);
            }

            if (token.DPoP is not null)
            {
                RememberNonce(request, response);
            }

            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                break;
            }
        }

        // Whatever the re-send answers goes back to the caller, after its redirects if it is one.
        return StartsRedirect(response, chain)
            ? await FollowRedirectsAsync(request, response, new RedirectChain(authorized: true, retried: refreshed) { NonceResent = nonceResent }, cancellationToken).ConfigureAwait(false)
            : response;
    }

    /// <summary>RFC 9449 §9: the API asks for a proof with its nonce, in the <c>DPoP</c> challenge (never a <c>Bearer</c> one).</summary>
    private static bool IsNonceChallenge(HttpResponseMessage response) =>
        WwwAuthenticateParser.DPoPError(response.Headers) == DPoPErrorCodes.UseDPoPNonce;

    /// <summary>
    /// RFC 9449 §8.2, §9: a server may send a new nonce on any answer, 200s included; the latest
    /// one of an allowed origin goes into the next proof to it. Only DPoP-bound requests look.
    /// </summary>
    private void RememberNonce(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (_policy.Origins.IsAllowed(request.RequestUri))
        {
            _session.DPoPNonces.Remember(request.RequestUri!, response.Headers);
        }
    }

    /// <summary>
    /// False only for a DPoP-bound token whose key did not import: it is not sent at all, neither
    /// with a broken proof nor as a bearer token (RFC 9449 §7.1); the request gets what a missing
    /// token gets. A bearer token costs one null check here.
    /// </summary>
    private bool CanSend(TokenSnapshot token)
    {
        if (token.DPoP is { CanProve: false } unusable)
        {
            Log.DPoPTokenNotSent(_logger, _policy.ClientName, unusable.ImportError);
            return false;
        }

        return true;
    }

    /// <summary>The rare decisions, off the hot path: logs a pinned origin (admitted) or a refused one.</summary>
    private bool Admitted(OriginDecision decision, Uri? uri)
    {
        if (decision == OriginDecision.Pinned)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                Log.OriginPinned(_logger, _policy.ClientName, OriginSet.Describe(uri));
            }

            return true;
        }

        // A warning the first time (a client whose first request went elsewhere than its API, or
        // an http BaseAddress off loopback, shows up at once), then debug: apps call other origins
        // with the same client on purpose. The origin only, never the path or query.
        if (decision == OriginDecision.FirstRefused)
        {
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                Log.FirstOriginRefused(_logger, _policy.ClientName, OriginSet.Describe(uri), _policy.Origins.PinsFirstOrigin);
            }
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.OriginRefused(_logger, _policy.ClientName, OriginSet.Describe(uri));
        }

        return false;
    }

    private void SetToken(HttpRequestMessage request, TokenSnapshot token, bool replace)
    {
        // The token replaces any value the header has (the app's own, the token of a send before
        // the 401): appended, a server would see two.
        var headers = request.Headers;
        if (replace)
        {
            RemoveToken(request);
        }

        if (token.DPoP is { } dpop)
        {
            // The proof first: should it throw, the request carries neither.
            SetProof(request, dpop, replace);
        }

        headers.TryAddWithoutValidation(_policy.HeaderName, token.HeaderValue);
    }

    /// <summary>
    /// A new proof for this send (RFC 9449 §4.2, §7): the request's method and URI as they are
    /// now (a redirect hop's own), the origin's latest nonce; it replaces any <c>DPoP</c> header,
    /// as one request carries one proof (§4.3 check 1).
    /// </summary>
    private void SetProof(HttpRequestMessage request, DPoPTokenBinding dpop, bool replace)
    {
        var headers = request.Headers;
        if (replace)
        {
            headers.Remove(DPoPProofHeaderName);
        }

        var target = request.RequestUri!;
        headers.TryAddWithoutValidation(DPoPProofHeaderName, dpop.CreateProof(request.Method, target, _session.DPoPNonces.Get(target)));
    }

    /// <summary>Takes the token off and, for a DPoP-bound token, its proof: handlers above must neither see nor replay it.</summary>
    private void RemoveToken(HttpRequestMessage request, TokenSnapshot token)
    {
        RemoveToken(request);
        if (token.DPoP is not null)
        {
            request.Headers.Remove(DPoPProofHeaderName);
        }
    }

    /// <summary>
    /// Takes the token off the request once it was sent: the message goes back up through the
    /// handlers above this one (a resilience handler sends it again, the factory's loggers log its
    /// headers on each attempt, a handler may read <see cref="HttpResponseMessage.RequestMessage"/>),
    /// and none of them is to see the token. Each send puts the current one on again.
    /// </summary>
    private void RemoveToken(HttpRequestMessage request)
    {
        if (_policy.HeaderIsAuthorization)
        {
            request.Headers.Authorization = null;
        }
        else
        {
            request.Headers.Remove(_policy.HeaderName);
        }
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
