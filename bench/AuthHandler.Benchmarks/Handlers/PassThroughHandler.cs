namespace AuthHandler.Benchmarks.Handlers;

/// <summary>The cost of one <see cref="DelegatingHandler"/> that does nothing: the benchmarks' baseline.</summary>
internal sealed class PassThroughHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
