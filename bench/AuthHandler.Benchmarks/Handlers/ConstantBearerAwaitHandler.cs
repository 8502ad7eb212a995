using System.Net;

namespace AuthHandler.Benchmarks.Handlers;

/// <summary>
/// The floor for a handler that retries once on 401: the constant bearer header, an awaited
/// response and its status check. A handler that must look at the answer pays for the async
/// state machine and the task it returns; this one pays for nothing else.
/// </summary>
internal sealed class ConstantBearerAwaitHandler : DelegatingHandler
{
    private const string HeaderValue = "Bearer token";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation("Authorization", HeaderValue);
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
