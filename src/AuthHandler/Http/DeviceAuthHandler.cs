using System.Net;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Http;

/// <summary>
/// Per-request work only: origin check, device headers, token header, send, and on a 401 one
/// compare-and-refresh and one re-send. Holds nothing but a reference to the session, because
/// <see cref="IHttpClientFactory"/> pools and recycles handler instances (invariant 1).
/// </summary>
internal sealed class DeviceAuthHandler : DelegatingHandler
{
    private readonly DeviceAuthSession _session;
    private readonly ILogger _logger;

    public DeviceAuthHandler(DeviceAuthSession session, ILogger logger)
    {
        _session = session;
        _logger = logger;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Invariant 8: the token and the device headers go only to the allowed origins.
        if (!_session.Origins.IsAllowed(request.RequestUri))
        {
            return base.SendAsync(request, cancellationToken);
        }

        _session.DeviceHeaders.ApplyTo(request.Headers);
        return SendAuthorizedAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAuthorizedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await _session.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            return SignInRequired(request, response: null);
        }

        SetToken(request, token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // After an automatic redirect RequestUri names the target: a 401 from another origin is
        // that origin's business, and re-sending there would hand it the new token (invariant 8).
        if (response.StatusCode != HttpStatusCode.Unauthorized || !_session.Origins.IsAllowed(request.RequestUri))
        {
            return response;
        }

        if (!WwwAuthenticateParser.RefreshCanHelp(response.Headers, out var error))
        {
            Log.NotRetriedChallenge(_logger, _session.Name, error ?? string.Empty);
            return response;
        }

        if (!RequestReplay.CanResend(request))
        {
            Log.NotRetriedBody(_logger, _session.Name, request.Content?.GetType().Name ?? "none");
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

        // Invariant 7: exactly one re-send; whatever it answers goes back to the caller.
        Log.RetryingAfterUnauthorized(_logger, _session.Name);
        _session.Metrics.Retried(_session.Name);
        response.Dispose();
        SetToken(request, next);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private void SetToken(HttpRequestMessage request, TokenSnapshot token)
    {
        var headers = request.Headers;
        headers.Remove(_session.HeaderName);
        headers.TryAddWithoutValidation(_session.HeaderName, token.HeaderValue);
    }

    private HttpResponseMessage SignInRequired(HttpRequestMessage request, HttpResponseMessage? response)
    {
        if (_session.SignInRequiredBehavior == SignInRequiredBehavior.ThrowException)
        {
            response?.Dispose();
            throw new AuthenticationRequiredException(_session.Name, _session.SignedOutReason);
        }

        // The request was not sent when there was no token to send it with (DESIGN: sending it
        // without one would hide the real problem).
        return response ?? new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            RequestMessage = request,
            ReasonPhrase = "Sign-in required",
        };
    }
}
