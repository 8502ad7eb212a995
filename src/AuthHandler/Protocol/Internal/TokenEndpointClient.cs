using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AuthHandler.Device.Internal;
using AuthHandler.Protocol.DPoP.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Posts token requests on the session's back-channel client, which never carries the auth
/// handler (a refresh must not wait on itself) and has its own resilience pipeline.
/// </summary>
internal sealed class TokenEndpointClient
{
    /// <summary>
    /// Marks a request whose first attempt may be retried even if it reached the server.
    /// Refresh requests are not marked: with rotation, a second attempt would reuse a refresh
    /// token the server may already have rotated (RFC 9700 §4.14).
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("AuthHandler.Idempotent");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly string _clientName;
    private readonly string _backchannelName;
    private readonly ClientCredentials _credentials;
    private readonly DeviceHeaderSet _deviceHeaders;
    private readonly TimeSpan _bodyTimeout;
    private readonly TimeProvider _time;
    private readonly DPoPContext _dpop;

    public TokenEndpointClient(
        IHttpClientFactory httpClientFactory,
        string clientName,
        ClientCredentials credentials,
        DeviceHeaderSet deviceHeaders,
        TimeSpan bodyTimeout,
        TimeProvider time,
        DPoPContext dpop)
    {
        _dpop = dpop;
        _httpClientFactory = httpClientFactory;
        _clientName = clientName;
        _backchannelName = DeviceAuthConstants.BackchannelName(clientName);
        _credentials = credentials;
        _deviceHeaders = deviceHeaders;
        _bodyTimeout = bodyTimeout;
        _time = time;
    }

    /// <summary>
    /// RFC 6749 §6: redeem a refresh token; with <paramref name="proof"/> (the key of the stored
    /// token set) every attempt carries a DPoP proof (RFC 9449 §5).
    /// </summary>
    public Task<TokenResult> RefreshAsync(Uri tokenEndpoint, string refreshToken, DPoPProofWriter? proof, CancellationToken cancellationToken) =>
        PostAsync(
            tokenEndpoint,
            [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)],
            idempotent: false,
            proof,
            cancellationToken);

    /// <summary>
    /// Posts a token request and classifies the answer. Never throws but for the caller's own
    /// cancellation: no answer, a non-2xx without an OAuth error and a 2xx that is not a usable
    /// token response are <see cref="TokenResultKind.Transient"/> results carrying the exception.
    /// With <paramref name="proof"/>, every attempt carries a new DPoP proof signed by it
    /// (RFC 9449 §4, <see cref="BackchannelDPoPHandler"/>), a <c>use_dpop_nonce</c> answer is
    /// sent once more with the server's nonce (§8), and a token type other than <c>DPoP</c> is
    /// refused; without it, a <c>DPoP</c> token type is refused.
    /// </summary>
    public async Task<TokenResult> PostAsync(
        Uri tokenEndpoint,
        List<KeyValuePair<string, string>> form,
        bool idempotent,
        DPoPProofWriter? proof,
        CancellationToken cancellationToken)
    {
        var dpop = proof is null ? null : new DPoPRequest(proof, _dpop.Nonces);
        HttpStatusCode status;
        string reason;
        TimeSpan? retryAfter;
        byte[] body;
        TokenParseResult parsed;
        for (var nonceRound = false; ; nonceRound = true)
        {
            bool nonceGiven;
            try
            {
                (status, reason, retryAfter, body, nonceGiven) = await SendFormAsync(tokenEndpoint, form, idempotent, dpop, cancellationToken).ConfigureAwait(false);
            }
            catch (TokenEndpointException ex)
            {
                return TokenResult.Failed(ex, answerLost: LostAnswer.Of(ex));
            }

            parsed = TokenResponseParser.Parse(body);
            if (dpop is null || parsed.Error?.Code != DPoPErrorCodes.UseDPoPNonce)
            {
                break;
            }

            // RFC 9449 §8: the server did not act on the request (a refresh token is not
            // redeemed); it wants the nonce in the proof. Once: a second demand, or one without
            // a usable nonce, is the server's problem, and the tokens are kept.
            if (nonceRound || !nonceGiven)
            {
                return TokenResult.Failed(new TokenEndpointException(
                    TokenEndpointFailure.Transient,
                    nonceRound
                        ? "The token endpoint asked for a DPoP nonce (use_dpop_nonce) again after a proof that carried the nonce it gave; the tokens are kept."
                        : "The token endpoint asked for a DPoP nonce (use_dpop_nonce) without a valid DPoP-Nonce header; the tokens are kept.",
                    DPoPErrorCodes.UseDPoPNonce,
                    status));
            }
        }

        if (parsed.Error is { } error)
        {
            return TokenResult.FromError(error, status, _clientName);
        }

        if ((int)status is >= 200 and < 300)
        {
            return parsed.Tokens is { } tokens
                ? CheckTokenType(tokens, status, dpop is not null)
                : TokenResult.Failed(
                    new TokenEndpointException(TokenEndpointFailure.InvalidResponse, $"The token endpoint answered {(int)status} but {parsed.InvalidReason}.", statusCode: status),
                    parsed.IssuedRefreshToken,
                    answerLost: parsed.IssuedRefreshToken is null);
        }

        return TokenResult.Failed(new TokenEndpointException(
            TokenEndpointFailure.Transient,
            $"The token endpoint answered {(int)status} {reason} without an OAuth error{DescribeRetryAfter(retryAfter)}.",
            statusCode: status)
        {
            RetryAfter = retryAfter,
        },
        answerLost: LostAnswer.MayHaveBeenProcessed(status));
    }

    /// <summary>
    /// RFC 9449 §5: a DPoP token request is answered with <c>token_type=DPoP</c>. A Bearer answer
    /// to a proof means the server ignored it: using it would silently drop the binding the app
    /// asked for. A DPoP answer without a proof cannot be used without the key it is bound to.
    /// Either way the refresh token it carries is kept (RFC 9700 §4.14), and asking again gets the
    /// same answer, so the result is final for a sign-in.
    /// </summary>
    private TokenResult CheckTokenType(TokenResponse tokens, HttpStatusCode status, bool proofSent)
    {
        var isDPoP = AccessTokenSyntax.IsDPoPType(tokens.TokenType);
        if (proofSent == isDPoP)
        {
            return TokenResult.Issued(tokens, status);
        }

        var message = proofSent
            ? $"The token endpoint answered {(int)status} with token_type {tokens.TokenType ?? "Bearer"}: the server ignored the DPoP proof, so the tokens are not bound to the client's key and are not used. Turn off DPoP.Enabled for client '{_clientName}' if the server does not support DPoP (RFC 9449)."
            : $"The token endpoint answered {(int)status} with token_type DPoP, but DPoP.Enabled is off for client '{_clientName}': DPoP-bound tokens cannot be used without a proof. Turn on DPoP.Enabled.";
        return TokenResult.WrongTokenType(new TokenEndpointException(TokenEndpointFailure.InvalidResponse, message, statusCode: status), tokens.RefreshToken);
    }

    private static string DescribeRetryAfter(TimeSpan? retryAfter) =>
        retryAfter is { } wait ? $"; it asks to wait {wait.TotalSeconds:0} s before the next try" : string.Empty;

    /// <summary>RFC 8628 §3.1: asks for a device code and a user code.</summary>
    public async Task<DeviceAuthorizationResponse> RequestDeviceCodeAsync(
        Uri endpoint,
        List<KeyValuePair<string, string>> form,
        CancellationToken cancellationToken)
    {
        HttpStatusCode status;
        byte[] body;
        try
        {
            (status, _, _, body, _) = await SendFormAsync(endpoint, form, idempotent: true, dpop: null, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenEndpointException ex)
        {
            throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Unavailable, $"The device authorization request failed: {ex.Message}", innerException: ex);
        }

        // The status first: a proxy's error page is not a malformed device authorization response.
        if ((int)status is < 200 or >= 300)
        {
            if (TokenResponseParser.Parse(body).Error is { } error)
            {
                throw new DeviceAuthorizationException(
                    DeviceAuthorizationFailure.Rejected,
                    $"The device authorization request was refused: {error.Code}{error.DescriptionSuffix}.",
                    error.Code,
                    error.Description);
            }

            throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Unavailable, $"The device authorization endpoint answered {(int)status} without an OAuth error.");
        }

        return DeviceAuthorizationResponse.Parse(body);
    }

    /// <summary>RFC 7009 §2: revokes a refresh token. True when the server confirmed it (200).</summary>
    public async Task<bool> RevokeAsync(Uri endpoint, string refreshToken, CancellationToken cancellationToken)
    {
        var (status, _, _, _, _) = await SendFormAsync(
            endpoint,
            [new("token", refreshToken), new("token_type_hint", "refresh_token")],
            idempotent: true,
            dpop: null,
            cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK;
    }

    /// <summary>
    /// Posts a form with the client's credentials and the device headers, and reads the body up
    /// to its limit. Throws <see cref="TokenEndpointException"/> when there is no complete answer.
    /// With <paramref name="dpop"/>, each attempt gets its proof below the retry handler, and
    /// NonceGiven says whether the answer carried a valid <c>DPoP-Nonce</c> (now remembered).
    /// </summary>
    private async Task<(HttpStatusCode Status, string Reason, TimeSpan? RetryAfter, byte[] Body, bool NonceGiven)> SendFormAsync(
        Uri endpoint,
        List<KeyValuePair<string, string>> form,
        bool idempotent,
        DPoPRequest? dpop,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        _credentials.Apply(request, form);
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _deviceHeaders.ApplyTo(request.Headers);
        request.Options.Set(Idempotent, idempotent);
        if (dpop is not null)
        {
            request.Options.Set(BackchannelDPoPHandler.Proof, dpop);
        }

        var client = _httpClientFactory.CreateClient(_backchannelName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Connection failures, resets, and the attempt timeout (Polly's TimeoutRejectedException):
            // all transient. Only the caller's own cancellation passes through as cancellation.
            throw new TokenEndpointException(
                TokenEndpointFailure.Transient,
                $"{endpoint.GetLeftPart(UriPartial.Path)} could not be reached: {ex.Message}",
                innerException: ex);
        }

        using (response)
        {
            var status = response.StatusCode;
            var nonceGiven = dpop is not null && dpop.Nonces.Remember(endpoint, response.Headers);
            if (BackchannelRedirect.IsRedirect(response))
            {
                // Not a token answer, like a proxy's HTML page: a captive portal's 302 to its login
                // page passes, an endpoint that moved does not, and either way the tokens are kept.
                throw new TokenEndpointException(
                    TokenEndpointFailure.InvalidResponse,
                    $"{endpoint.GetLeftPart(UriPartial.Path)} {BackchannelRedirect.Describe(endpoint, response)}. Configure the URL that answers itself.",
                    statusCode: status);
            }

            byte[]? body;
            try
            {
                body = await BackchannelReader.ReadBoundedAsync(response.Content, _bodyTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                throw new TokenEndpointException(
                    TokenEndpointFailure.Transient,
                    $"{endpoint.GetLeftPart(UriPartial.Path)} answered {(int)status} but the connection failed while reading the body: {ex.Message}",
                    statusCode: status,
                    innerException: ex);
            }

            return body is null
                ? throw new TokenEndpointException(
                    TokenEndpointFailure.InvalidResponse,
                    $"{endpoint.GetLeftPart(UriPartial.Path)} answered {(int)status} with a body larger than {BackchannelReader.MaxBodyBytes} bytes.",
                    statusCode: status)
                : (status, Text.PrintableAscii(response.ReasonPhrase ?? string.Empty, 80), RetryAfter.Read(response.Headers, _time.GetUtcNow()), body, nonceGiven);
        }
    }
}
