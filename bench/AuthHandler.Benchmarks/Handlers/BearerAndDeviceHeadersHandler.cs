namespace AuthHandler.Benchmarks.Handlers;

/// <summary>
/// The floor for a bearer handler with device headers: the constant bearer header plus the same
/// device headers, from an array computed once, added without validation.
/// </summary>
internal sealed class BearerAndDeviceHeadersHandler : DelegatingHandler
{
    private const string HeaderValue = "Bearer token";

    private readonly KeyValuePair<string, string>[] _deviceHeaders;

    public BearerAndDeviceHeadersHandler(IEnumerable<KeyValuePair<string, string>> deviceHeaders) => _deviceHeaders = [.. deviceHeaders];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers;
        foreach (var (name, value) in _deviceHeaders)
        {
            headers.TryAddWithoutValidation(name, value);
        }

        headers.TryAddWithoutValidation("Authorization", HeaderValue);
        return base.SendAsync(request, cancellationToken);
    }
}
