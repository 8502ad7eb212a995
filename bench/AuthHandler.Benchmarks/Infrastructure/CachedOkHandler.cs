using System.Net;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>
/// The in-memory end of a pipeline: answers every request with the same completed 200, so the
/// benchmark measures the handlers in front of it and nothing else. The response is never
/// disposed (nobody owns it but this handler), so it can be returned again and again.
/// </summary>
internal sealed class CachedOkHandler : HttpMessageHandler
{
    private static readonly Task<HttpResponseMessage> Ok = Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Ok;

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) => Ok.Result;
}
