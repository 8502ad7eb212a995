using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuthHandler.Browser.Internal;

/// <summary>
/// The redirect listener of one browser sign-in (RFC 8252 §7.3): a TCP listener on a free
/// loopback port that reads minimal HTTP/1.1 requests. The first GET to the redirect path is the
/// callback (<see cref="WaitForCallbackAsync"/>); the port is closed as soon as it has arrived, so
/// later connections are refused, and a request already in flight gets "already finished". Other
/// paths get 404, other methods 405, and neither ends the attempt. Each request is bounded in size
/// (<see cref="MaxRequestBytes"/>) and in time (<see cref="ReadTimeout"/>, on the injected clock).
/// </summary>
internal sealed class LoopbackListener : IAsyncDisposable
{
    /// <summary>The largest request line and headers read; a redirect with a code and a state is far shorter.</summary>
    public const int MaxRequestBytes = 16 * 1024;

    /// <summary>At most this many connections are served at once (browsers pre-connect); more are closed.</summary>
    public const int MaxConnections = 16;

    /// <summary>How long a connection may take to send its request, and the page to be written.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly TcpListener _listener;
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<LoopbackCallback> _callback = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private int _connections;
    private int _closed;
    private int _disposed;

    private LoopbackListener(TcpListener listener, string path, TimeProvider time)
    {
        _listener = listener;
        _path = path;
        _time = time;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var host = listener.LocalEndpoint.AddressFamily == AddressFamily.InterNetworkV6 ? "[::1]" : "127.0.0.1";
        RedirectUri = new Uri($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}{path}");
        Port = port;
        _accepting = AcceptAsync();
    }

    /// <summary>The redirect URI: <c>http://127.0.0.1:{port}{path}</c> (or <c>[::1]</c>).</summary>
    public Uri RedirectUri { get; }

    public int Port { get; }

    /// <summary>Binds port 0 of the loopback address. Throws <see cref="SocketException"/> when it cannot.</summary>
    public static LoopbackListener Start(bool ipv6, string path, TimeProvider time)
    {
        var listener = new TcpListener(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
        listener.Start(MaxConnections);
        return new LoopbackListener(listener, path, time);
    }

    /// <summary>The first GET to the redirect path.</summary>
    public Task<LoopbackCallback> WaitForCallbackAsync(CancellationToken cancellationToken) => _callback.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Closes the port, sends the callback's page (a failure page if the sign-in set none), and
    /// ends every connection.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        if (_callback.Task.IsCompletedSuccessfully)
        {
            var callback = _callback.Task.Result;
            callback.Respond(LandingPage.Failed("The sign-in stopped before it finished.", null));
            await callback.Served.ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _listener.Stop();
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            if (Interlocked.Increment(ref _connections) > MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                socket.Dispose();
                continue;
            }

            _ = ServeAsync(socket);
        }
    }

    /// <summary>Serves one connection: one request, one answer, then the connection is closed. Never throws.</summary>
    private async Task ServeAsync(Socket socket)
    {
        LoopbackCallback? claimed = null;
        try
        {
            using (socket)
            {
                using var stream = new NetworkStream(socket, ownsSocket: false);
                LoopbackRequest? request;
                using (var read = NewDeadline())
                {
                    request = await ReadAsync(stream, read.Token).ConfigureAwait(false);
                }

                LandingPage page;
                if (request is null)
                {
                    page = LandingPage.BadRequest;
                }
                else if (!string.Equals(request.Path, _path, StringComparison.Ordinal))
                {
                    page = LandingPage.NotFound;
                }
                else if (!string.Equals(request.Method, "GET", StringComparison.Ordinal))
                {
                    page = LandingPage.MethodNotAllowed;
                }
                else
                {
                    var callback = new LoopbackCallback(request.Parameters, request.Repeated);
                    if (_callback.TrySetResult(callback))
                    {
                        // The first callback decides: the port closes now, so no later request reaches it.
                        claimed = callback;
                        Close();
                        page = await callback.Page.WaitAsync(_stop.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        page = LandingPage.AlreadyFinished;
                    }
                }

                using var write = NewDeadline();
                await WriteAsync(stream, page, write.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception)
        {
            // A connection that breaks, stalls past its deadline or outlives the listener is just closed.
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            claimed?.MarkServed();
        }
    }

    private Deadline NewDeadline() => new(_time, _stop.Token);

    /// <summary>Reads the request line and headers (the body, if any, is ignored); null when they are not a request or too long.</summary>
    private static async Task<LoopbackRequest?> ReadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            var searchFrom = Math.Max(0, length - HeaderEnd.Length + 1);
            length += read;
            var end = buffer.AsSpan(searchFrom, length - searchFrom).IndexOf(HeaderEnd);
            if (end >= 0)
            {
                return LoopbackRequest.Parse(buffer.AsSpan(0, searchFrom + end));
            }

            if (length == buffer.Length)
            {
                return null;
            }
        }
    }

    private static async Task WriteAsync(NetworkStream stream, LandingPage page, CancellationToken cancellationToken)
    {
        var body = page.Render();
        var reason = page.StatusCode switch
        {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Conflict",
        };
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {page.StatusCode} {reason}\r\n")
            .Append("Content-Type: text/html; charset=utf-8\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append("Pragma: no-cache\r\n")
            .Append("Content-Security-Policy: ").Append(LandingPage.ContentSecurityPolicy).Append("\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n")
            .Append("X-Frame-Options: DENY\r\n")
            .Append("Referrer-Policy: no-referrer\r\n");
        if (page.StatusCode == 405)
        {
            head.Append("Allow: GET\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="ReadTimeout"/> on the injected clock, or the listener's end, whichever comes first.</summary>
    private sealed class Deadline : IDisposable
    {
        private readonly CancellationTokenSource _timer;
        private readonly CancellationTokenSource _linked;

        public Deadline(TimeProvider time, CancellationToken stop)
        {
            _timer = new CancellationTokenSource(ReadTimeout, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(_timer.Token, stop);
        }

        public CancellationToken Token => _linked.Token;

        public void Dispose()
        {
            _linked.Dispose();
            _timer.Dispose();
        }
    }
}
