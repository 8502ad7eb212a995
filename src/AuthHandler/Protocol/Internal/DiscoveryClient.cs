using System.Net;
using System.Net.Http.Headers;
using AuthHandler.Device.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// Fetches and caches the authorization server's metadata: RFC 8414 first, then OpenID Connect
/// Discovery. Concurrent first uses share one fetch; a failed fetch is not cached.
/// </summary>
internal sealed class DiscoveryClient
{
    private readonly DiscoveryCache _cache;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly string _backchannelName;
    private readonly DeviceHeaderSet _deviceHeaders;
    private readonly TimeSpan _cacheDuration;
    private readonly TimeSpan _bodyTimeout;
    private readonly TimeProvider _time;

    public DiscoveryClient(
        DiscoveryCache cache,
        IHttpClientFactory httpClientFactory,
        string backchannelName,
        DeviceHeaderSet deviceHeaders,
        TimeSpan cacheDuration,
        TimeSpan bodyTimeout,
        TimeProvider time)
    {
        _cache = cache;
        _httpClientFactory = httpClientFactory;
        _backchannelName = backchannelName;
        _deviceHeaders = deviceHeaders;
        _cacheDuration = cacheDuration;
        _bodyTimeout = bodyTimeout;
        _time = time;
    }

    /// <summary>The metadata of <paramref name="authority"/>; the shared fetch runs without the caller's token.</summary>
    public Task<AuthorizationServerMetadata> GetAsync(string authority, CancellationToken cancellationToken) =>
        _cache.GetOrFetch(authority, _cacheDuration, () => FetchAsync(authority)).WaitAsync(cancellationToken);

    /// <summary>RFC 8414 §3 inserts the well-known segment before the issuer's path; OIDC Discovery appends it.</summary>
    internal static Uri[] WellKnownUris(Uri authority)
    {
        var origin = authority.GetLeftPart(UriPartial.Authority);
        var path = authority.AbsolutePath.TrimEnd('/');
        return
        [
            new Uri(origin + "/.well-known/oauth-authorization-server" + path),
            new Uri(origin + path + "/.well-known/openid-configuration"),
        ];
    }

    private async Task<AuthorizationServerMetadata> FetchAsync(string authority)
    {
        var authorityUri = new Uri(authority);
        DiscoveryException? notFound = null;
        foreach (var uri in WellKnownUris(authorityUri))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Options.Set(TokenEndpointClient.Idempotent, true);
            _deviceHeaders.ApplyTo(request.Headers);

            HttpResponseMessage response;
            try
            {
                response = await _httpClientFactory.CreateClient(_backchannelName)
                    .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw new DiscoveryException($"The discovery document {uri} could not be fetched: {ex.Message}", isTransient: true, ex);
            }

            using (response)
            {
                if (BackchannelRedirect.IsRedirect(response))
                {
                    throw new DiscoveryException(
                        $"The discovery document {uri} {BackchannelRedirect.Describe(uri, response)}. Set Authority to the issuer itself, or set TokenEndpoint and DeviceAuthorizationEndpoint.",
                        isTransient: false);
                }

                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    notFound = new DiscoveryException($"The authorization server has no discovery document at {uri}.", isTransient: false);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new DiscoveryException($"The discovery document {uri} answered {(int)response.StatusCode}.", isTransient: true);
                }

                byte[]? body;
                try
                {
                    body = await BackchannelReader.ReadBoundedAsync(response.Content, _bodyTimeout, _time, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    throw new DiscoveryException($"The discovery document {uri} could not be read: {ex.Message}", isTransient: true, ex);
                }

                if (body is null)
                {
                    throw new DiscoveryException($"The discovery document {uri} is larger than {BackchannelReader.MaxBodyBytes} bytes.", isTransient: false);
                }

                var metadata = MetadataDocumentParser.Parse(body, uri.ToString());

                // RFC 8414 §3.3 and OIDC Discovery §4.3: the issuer must be the authority itself;
                // otherwise an attacker's document could redirect tokens. A trailing slash is ignored.
                if (!string.Equals(metadata.Issuer.TrimEnd('/'), authority.TrimEnd('/'), StringComparison.Ordinal))
                {
                    throw new DiscoveryException(
                        $"The discovery document {uri} names the issuer '{Text.PrintableAscii(metadata.Issuer, 200)}', which is not the configured authority '{authority}'.",
                        isTransient: false);
                }

                return metadata;
            }
        }

        throw new DiscoveryException(
            $"{notFound!.Message} Neither RFC 8414 nor OpenID Connect discovery is available: set TokenEndpoint and DeviceAuthorizationEndpoint explicitly.",
            isTransient: false);
    }
}
