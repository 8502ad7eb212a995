using System.Net;

namespace AuthHandler.Benchmarks.Handlers;

/// <summary>
/// The floor for a 401-retrying handler with device headers: <see cref="ConstantBearerAwaitHandler"/>
/// plus the same device headers as <see cref="BearerAndDeviceHeadersHandler"/>, from an array
/// computed once, added without validation.
/// </summary>
internal sealed class BearerAndDeviceHeadersAwaitHandler : DelegatingHandler
{
    private const string HeaderValue = "Bearer token";

    private readonly KeyValuePair<string, string>[] _deviceHeaders;

    public BearerAndDeviceHeadersAwaitHandler(IEnumerable<KeyValuePair<string, string>> deviceHeaders) => _deviceHeaders = [.. deviceHeaders];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers;
        foreach (var (name, value) in _deviceHeaders)
        {
            headers.TryAddWithoutValidation(name, value);
        }

        headers.TryAddWithoutValidation("Authorization", HeaderValue);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // The retry a real handler makes after a refresh; the benchmark's terminal never answers 401.
        response.Dispose();
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
