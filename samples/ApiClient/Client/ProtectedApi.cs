using System.Diagnostics.CodeAnalysis;

namespace ApiClient.Client;

/// <summary>
/// The typed API client. Its <see cref="HttpClient"/> comes from <c>AddHttpClient&lt;ProtectedApi&gt;()</c>
/// with <c>AddDeviceAuthHandler(...)</c>, so every request it sends carries the user's access
/// token and the device headers, and a 401 is refreshed and retried once, all out of sight.
/// </summary>
[SuppressMessage("Performance", "CA1812", Justification = "Created by IHttpClientFactory as a typed client.")]
internal sealed class ProtectedApi
{
    private readonly HttpClient _http;

    public ProtectedApi(HttpClient http) => _http = http;

    /// <summary>GETs <paramref name="uri"/> (absolute, or relative to the base address).</summary>
    public async Task<ApiResponse> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new ApiResponse((int)response.StatusCode, response.ReasonPhrase, response.Content.Headers.ContentType?.MediaType, body);
    }
}
