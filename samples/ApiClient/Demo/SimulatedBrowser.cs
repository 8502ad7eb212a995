using ApiClient.Output;

namespace ApiClient.Demo;

/// <summary>
/// The browser of <c>demo --browser</c> under the demo-only switch <c>AUTHHANDLER_DEMO_AUTO_APPROVE</c>:
/// instead of starting a real browser it does what one would, in this process: GETs the
/// authorization URL on the embedded server (which approves at once with a 302) and follows the
/// redirect to the library's loopback listener. It only ever requests loopback http URLs.
/// </summary>
internal static class SimulatedBrowser
{
    private const int MaxRedirects = 3;

    /// <summary>The launcher: starts the follow and returns at once (the library listens for the redirect only once the browser is "open").</summary>
    public static Task<string?> OpenAsync(Uri url, Reporter reporter)
    {
        _ = FollowAsync(url, reporter);
        return Task.FromResult<string?>(null);
    }

    private static async Task FollowAsync(Uri url, Reporter reporter)
    {
        try
        {
            using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
            var next = url;
            for (var hop = 0; hop <= MaxRedirects; hop++)
            {
                if (!next.IsLoopback || next.Scheme != Uri.UriSchemeHttp)
                {
                    reporter.Warning("The demo's simulated browser only follows loopback http URLs.");
                    return;
                }

                using var response = await http.GetAsync(next);
                if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is not { } location)
                {
                    return;
                }

                next = new Uri(next, location);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            reporter.Warning($"The demo's simulated browser failed: {ex.Message}");
        }
    }
}
