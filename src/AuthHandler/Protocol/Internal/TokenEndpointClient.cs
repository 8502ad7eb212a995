using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AuthHandler.Device.Internal;

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
    private readonly string _backchannelName;
    private readonly ClientCredentials _credentials;
    private readonly DeviceHeaderSet _deviceHeaders;
    private readonly TimeSpan _bodyTimeout;
    private readonly TimeProvider _time;

    public TokenEndpointClient(
        IHttpClientFactory httpClientFactory,
        string backchannelName,
        ClientCredentials credentials,
        DeviceHeaderSet deviceHeaders,
        TimeSpan bodyTimeout,
        TimeProvider time)
    {
        _httpClientFactory = httpClientFactory;
        _backchannelName = backchannelName;
        _credentials = credentials;
        _deviceHeaders = deviceHeaders;
        _bodyTimeout = bodyTimeout;
        _time = time;
    }

    /// <summary>RFC 6749 §6: redeem a refresh token.</summary>
    public Task<TokenEndpointAnswer> RefreshAsync(Uri tokenEndpoint, string refreshToken, CancellationToken cancellationToken) =>
        PostAsync(
            tokenEndpoint,
            [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)],
            idempotent: false,
            cancellationToken);

    /// <summary>
    /// Posts a token request and reads the answer. Returns tokens, an OAuth error, or (for a 2xx
    /// answer that is not a usable token response) <see cref="TokenEndpointAnswer.Invalid"/> with
    /// any refresh token it carried; throws <see cref="TokenEndpointException"/> when there is no
    /// answer or a non-2xx answer without an OAuth error.
    /// </summary>
    public async Task<TokenEndpointAnswer> PostAsync(
        Uri tokenEndpoint,
        List<KeyValuePair<string, string>> form,
        bool idempotent,
        CancellationToken cancellationToken)
    {
        var (status, reason, retryAfter, body) = await SendFormAsync(tokenEndpoint, form, idempotent, cancellationToken).ConfigureAwait(false);

        // Classify by the OAuth error code, not the status: servers send invalid_grant with
        // 400, 401 or 403, and some send errors with 200.
        var parsed = TokenResponseParser.Parse(body);
        if (parsed.Error is { } error)
        {
            return new TokenEndpointAnswer(null, error, status);
        }

        if ((int)status is >= 200 and < 300)
        {
            return parsed.Tokens is { } tokens
                ? new TokenEndpointAnswer(tokens, null, status)
                : new TokenEndpointAnswer(null, null, status)
                {
                    Invalid = new TokenEndpointException(
                        TokenEndpointFailure.InvalidResponse,
                        $"The token endpoint answered {(int)status} but {parsed.InvalidReason}.",
                        statusCode: status),
                    IssuedRefreshToken = parsed.IssuedRefreshToken,
                };
        }

        throw new TokenEndpointException(
            TokenEndpointFailure.Transient,
            $"The token endpoint answered {(int)status} {reason} without an OAuth error{DescribeRetryAfter(retryAfter)}.",
            statusCode: status)
        {
            RetryAfter = retryAfter,
        };
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
            (status, _, _, body) = await SendFormAsync(endpoint, form, idempotent: true, cancellationToken).ConfigureAwait(false);
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
        var (status, _, _, _) = await SendFormAsync(
            endpoint,
            [new("token", refreshToken), new("token_type_hint", "refresh_token")],
            idempotent: true,
            cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK;
    }

    /// <summary>
    /// Posts a form with the client's credentials and the device headers, and reads the body up
    /// to its limit. Throws <see cref="TokenEndpointException"/> when there is no complete answer.
    /// </summary>
    private async Task<(HttpStatusCode Status, string Reason, TimeSpan? RetryAfter, byte[] Body)> SendFormAsync(
        Uri endpoint,
        List<KeyValuePair<string, string>> form,
        bool idempotent,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        _credentials.Apply(request, form);
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _deviceHeaders.ApplyTo(request.Headers);
        request.Options.Set(Idempotent, idempotent);

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
                : (status, Text.PrintableAscii(response.ReasonPhrase ?? string.Empty, 80), RetryAfter.Read(response.Headers, _time.GetUtcNow()), body);
        }
    }
}

/// <summary>What the token endpoint said: tokens, an OAuth error, or a 2xx answer that is neither.</summary>
internal sealed record TokenEndpointAnswer(TokenResponse? Tokens, OAuthError? Error, HttpStatusCode StatusCode)
{
    /// <summary>Why a 2xx answer is unusable (not JSON, no valid access token, an unknown token type).</summary>
    public TokenEndpointException? Invalid { get; init; }

    /// <summary>
    /// The refresh token of an <see cref="Invalid"/> answer: the server issued it, so the one it
    /// replaces may be spent (RFC 9700 §4.14) and it must be kept.
    /// </summary>
    public string? IssuedRefreshToken { get; init; }

    public override string ToString() => $"TokenEndpointAnswer {{ Tokens = {Tokens is not null}, Error = {Error?.Code}, StatusCode = {(int)StatusCode} }}";
}

/// <summary>The client's identity at the token endpoint (RFC 6749 §2.3).</summary>
internal sealed class ClientCredentials
{
    private readonly string _clientId;
    private readonly string? _clientSecret;
    private readonly ClientAuthenticationMethod _method;

    public ClientCredentials(string clientId, string? clientSecret, ClientAuthenticationMethod method)
    {
        _clientId = clientId;

        // An empty secret (an unset environment variable, say) means a public client.
        _clientSecret = string.IsNullOrEmpty(clientSecret) ? null : clientSecret;
        _method = method == ClientAuthenticationMethod.Automatic
            ? _clientSecret is null ? ClientAuthenticationMethod.None : ClientAuthenticationMethod.ClientSecretBasic
            : method;
    }

    public void Apply(HttpRequestMessage request, List<KeyValuePair<string, string>> form)
    {
        switch (_method)
        {
            case ClientAuthenticationMethod.ClientSecretBasic:
                // RFC 6749 §2.3.1: form-urlencode id and secret before joining and encoding them.
                var pair = WebUtility.UrlEncode(_clientId) + ":" + WebUtility.UrlEncode(_clientSecret);
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                break;
            case ClientAuthenticationMethod.ClientSecretPost:
                form.Add(new("client_id", _clientId));
                form.Add(new("client_secret", _clientSecret ?? string.Empty));
                break;
            default:
                form.Add(new("client_id", _clientId));
                break;
        }
    }

    public override string ToString() => $"ClientCredentials {{ ClientId = {_clientId}, Method = {_method} }}";
}
