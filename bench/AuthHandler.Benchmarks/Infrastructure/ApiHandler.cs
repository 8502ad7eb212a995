using System.Collections.Concurrent;
using System.Net;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>
/// An in-memory API: accepts a request only with a token that the token endpoint (or the
/// scenario) registered and that has not expired by the wall clock, with no skew; otherwise
/// answers 401 with <c>error="invalid_token"</c>. Counts what it saw.
/// </summary>
internal sealed class ApiHandler : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _valid = new(StringComparer.Ordinal);
    private readonly TimeSpan _latency;
    private long _accepted;
    private long _rejected;

    /// <param name="latency">Zero: answer after one <see cref="Task.Yield"/>, so callers never complete inline.</param>
    public ApiHandler(TimeSpan latency) => _latency = latency;

    /// <summary>Runs first on every request, before the token is checked (the scenarios hang probes here).</summary>
    public Action<HttpRequestMessage>? OnRequest { get; set; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    public void Accept(string accessToken, DateTimeOffset expiresAt) => _valid[accessToken] = expiresAt;

    public void Revoke(string accessToken) => _valid.TryRemove(accessToken, out _);

    public void ResetCounts()
    {
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _rejected, 0);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        OnRequest?.Invoke(request);
        if (_latency > TimeSpan.Zero)
        {
            await Task.Delay(_latency, cancellationToken);
        }
        else
        {
            await Task.Yield();
        }

        var header = request.Headers.NonValidated.TryGetValues("Authorization", out var values) ? values.ToString() : string.Empty;
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : string.Empty;
        if (_valid.TryGetValue(token, out var expiresAt) && DateTimeOffset.UtcNow < expiresAt)
        {
            Interlocked.Increment(ref _accepted);
            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request };
        }

        Interlocked.Increment(ref _rejected);
        var unauthorized = new HttpResponseMessage(HttpStatusCode.Unauthorized) { RequestMessage = request };
        unauthorized.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        return unauthorized;
    }
}
