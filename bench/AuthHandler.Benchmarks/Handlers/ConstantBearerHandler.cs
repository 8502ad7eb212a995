namespace AuthHandler.Benchmarks.Handlers;

/// <summary>
/// The floor for a bearer handler: one constant header, no token lifecycle, no async state
/// machine. Anything that manages tokens costs at least this much.
/// </summary>
internal sealed class ConstantBearerHandler : DelegatingHandler
{
    private const string HeaderValue = "Bearer token";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation("Authorization", HeaderValue);
        return base.SendAsync(request, cancellationToken);
    }
}
