using System.Buffers;
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

    public TokenEndpointClient(
        IHttpClientFactory httpClientFactory,
        string backchannelName,
        ClientCredentials credentials,
        DeviceHeaderSet deviceHeaders)
    {
        _httpClientFactory = httpClientFactory;
        _backchannelName = backchannelName;
        _credentials = credentials;
        _deviceHeaders = deviceHeaders;
    }

    /// <summary>RFC 6749 §6: redeem a refresh token.</summary>
    public Task<TokenEndpointAnswer> RefreshAsync(Uri tokenEndpoint, string refreshToken, CancellationToken cancellationToken) =>
        PostAsync(
            tokenEndpoint,
            [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)],
            idempotent: false,
            cancellationToken);

    /// <summary>
    /// Posts a token request and reads the answer. Returns tokens or an OAuth error; throws
    /// <see cref="TokenEndpointException"/> for everything else (no answer, not an OAuth answer).
    /// </summary>
    public async Task<TokenEndpointAnswer> PostAsync(
        Uri tokenEndpoint,
        List<KeyValuePair<string, string>> form,
        bool idempotent,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint);
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
                $"The token endpoint {tokenEndpoint.GetLeftPart(UriPartial.Path)} could not be reached: {ex.Message}",
                innerException: ex);
        }

        using (response)
        {
            var status = response.StatusCode;
            byte[]? body;
            try
            {
                body = await ReadBoundedAsync(response.Content, TokenResponseParser.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                throw new TokenEndpointException(
                    TokenEndpointFailure.Transient,
                    $"The token endpoint answered {(int)status} but the connection failed while reading the body: {ex.Message}",
                    statusCode: status,
                    innerException: ex);
            }

            if (body is null)
            {
                throw new TokenEndpointException(
                    TokenEndpointFailure.InvalidResponse,
                    $"The token endpoint answered {(int)status} with a body larger than {TokenResponseParser.MaxBodyBytes} bytes.",
                    statusCode: status);
            }

            // Classify by the OAuth error code, not the status: servers send invalid_grant with
            // 400, 401 or 403, and some send errors with 200.
            var parsed = TokenResponseParser.Parse(body);
            if (parsed.Error is { } error)
            {
                return new TokenEndpointAnswer(null, error, status);
            }

            if (parsed.Tokens is { } tokens && response.IsSuccessStatusCode)
            {
                return new TokenEndpointAnswer(tokens, null, status);
            }

            throw response.IsSuccessStatusCode
                ? new TokenEndpointException(
                    TokenEndpointFailure.InvalidResponse,
                    $"The token endpoint answered {(int)status} but {parsed.InvalidReason}.",
                    statusCode: status)
                : new TokenEndpointException(
                    TokenEndpointFailure.Transient,
                    $"The token endpoint answered {(int)status} {Text.PrintableAscii(response.ReasonPhrase ?? string.Empty, 80)} without an OAuth error.",
                    statusCode: status);
        }
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; returns null when the body is larger.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > limit)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                var length = 0;
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (length > limit)
                        {
                            return null;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return length > limit ? null : buffer.AsSpan(0, length).ToArray();
                    }

                    length += read;
                }
            }
            finally
            {
                // The buffer held tokens.
                ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
            }
        }
    }
}

/// <summary>What the token endpoint said: tokens, or an OAuth error.</summary>
internal sealed record TokenEndpointAnswer(TokenResponse? Tokens, OAuthError? Error, HttpStatusCode StatusCode);

/// <summary>The client's identity at the token endpoint (RFC 6749 §2.3).</summary>
internal sealed class ClientCredentials
{
    private readonly string _clientId;
    private readonly string? _clientSecret;
    private readonly ClientAuthenticationMethod _method;

    public ClientCredentials(string clientId, string? clientSecret, ClientAuthenticationMethod method)
    {
        _clientId = clientId;
        _clientSecret = clientSecret;
        _method = method == ClientAuthenticationMethod.Automatic
            ? clientSecret is null ? ClientAuthenticationMethod.None : ClientAuthenticationMethod.ClientSecretBasic
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
