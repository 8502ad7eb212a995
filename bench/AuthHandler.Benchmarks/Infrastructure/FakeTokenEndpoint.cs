using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>
/// An in-memory token endpoint, plugged in as the primary handler of the session's back-channel
/// client: it answers each refresh-token grant after a fixed latency with a new access token and
/// a rotated refresh token, and counts the calls. Nothing leaves the process.
/// </summary>
internal sealed class FakeTokenEndpoint : HttpMessageHandler
{
    /// <summary>Set when a call starts on this thread (see <see cref="StartedOnThisThread"/>).</summary>
    [ThreadStatic]
    private static bool t_started;

    private readonly TimeSpan _latency;
    private readonly TimeSpan _lifetime;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<IssuedToken> _issued = new();
    private int _calls;
    private int _inFlight;

    /// <param name="latency">How long each call takes (Task.Delay, so no thread is held).</param>
    /// <param name="lifetime">The <c>expires_in</c> of the tokens it issues.</param>
    /// <param name="blocked">When true, every call waits until <see cref="Release"/> before answering.</param>
    public FakeTokenEndpoint(TimeSpan latency, TimeSpan lifetime, bool blocked = false)
    {
        _latency = latency;
        _lifetime = lifetime;
        if (!blocked)
        {
            _released.SetResult();
        }
    }

    /// <summary>Raised when a token is issued, before the answer is returned to the client.</summary>
    public event Action<IssuedToken>? Issued;

    public int Calls => Volatile.Read(ref _calls);

    public bool InFlight => Volatile.Read(ref _inFlight) > 0;

    public IReadOnlyCollection<IssuedToken> IssuedTokens => _issued;

    /// <summary>
    /// Reads and clears the flag that says a call to this endpoint began synchronously on the
    /// current thread, i.e. the session started a refresh inline on a request's thread.
    /// </summary>
    public static bool StartedOnThisThread()
    {
        var started = t_started;
        t_started = false;
        return started;
    }

    /// <summary>Lets blocked calls finish.</summary>
    public void Release() => _released.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        t_started = true;
        var started = Stopwatch.GetTimestamp();
        var call = Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _inFlight);
        try
        {
            var form = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            var redeemed = FormValue(form, "refresh_token") ?? string.Empty;

            await _released.Task.WaitAsync(cancellationToken);
            await Task.Delay(_latency, cancellationToken);

            var accessToken = "at-" + call.ToString(CultureInfo.InvariantCulture);
            var refreshToken = "rt-" + call.ToString(CultureInfo.InvariantCulture);
            var issued = new IssuedToken(accessToken, redeemed, DateTimeOffset.UtcNow + _lifetime, Stopwatch.GetElapsedTime(started));
            _issued.Enqueue(issued);
            Issued?.Invoke(issued);

            var json = string.Create(
                CultureInfo.InvariantCulture,
                $$"""{"access_token":"{{accessToken}}","token_type":"Bearer","expires_in":{{(int)_lifetime.TotalSeconds}},"refresh_token":"{{refreshToken}}"}""");
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static string? FormValue(string form, string name)
    {
        foreach (var pair in form.Split('&'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair.AsSpan(0, equals).SequenceEqual(name))
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }
}
