namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>A primary handler that fails any request: proof that a code path stayed off the network.</summary>
internal sealed class NoNetworkHandler : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"The benchmark tried to reach {request.RequestUri}; it must stay in memory.");
}
