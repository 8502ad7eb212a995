using System.Threading.Channels;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The test as the user's browser: the launcher hands it the authorization URL; it GETs that URL
/// from the fake server without following redirects, then GETs the 302's Location from the
/// session's redirect listener and reads the landing page.
/// </summary>
internal sealed class TestBrowser : IDisposable
{
    private readonly Channel<Uri> _opened = Channel.CreateUnbounded<Uri>();

    public HttpClient Http { get; } = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

    /// <summary>What the launcher returns: false plays a machine whose browser cannot be opened.</summary>
    public bool Opens { get; set; } = true;

    public int Launches { get; private set; }

    public Func<Uri, CancellationToken, ValueTask<bool>> Launcher => (url, _) =>
    {
        Launches++;
        _opened.Writer.TryWrite(url);
        return ValueTask.FromResult(Opens);
    };

    /// <summary>The next URL the session opened; bounded on the real clock so a missing launch fails instead of hanging.</summary>
    public async Task<Uri> NextUrlAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _opened.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>Opens the authorization URL: the server's 302 Location, the redirect to the listener.</summary>
    public async Task<Uri> AuthorizeAsync(Uri url)
    {
        using var response = await Http.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    /// <summary>The whole dance: the next launch, the authorize step, the redirect; returns the landing page and the redirect URI.</summary>
    public async Task<(HttpResponseMessage Page, string Body, Uri Callback)> SignInAsync()
    {
        var callback = await AuthorizeAsync(await NextUrlAsync());
        var page = await Http.GetAsync(callback, TestContext.Current.CancellationToken);
        return (page, await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), callback);
    }

    /// <summary>Whether a connection to the listener of <paramref name="callback"/> is refused (the listener is closed).</summary>
    public static async Task<bool> RefusesAsync(Uri callback)
    {
        using var client = new System.Net.Sockets.TcpClient(callback.HostNameType == UriHostNameType.IPv6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork);
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Parse(callback.Host.Trim('[', ']')), callback.Port, TestContext.Current.CancellationToken);
            return false;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    public void Dispose() => Http.Dispose();
}
