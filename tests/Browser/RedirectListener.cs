using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuthHandler.Tests.Browser;

/// <summary>
/// The smoke tests' stand-in for the library's redirect listener: a TcpListener on 127.0.0.1:0 that
/// records the request target of every HTTP request it receives and answers each with a short
/// "you can close this tab" page. <see cref="FirstCallback"/> completes with the first request's
/// target. Bounded: a request head of at most 8 KiB, read within <see cref="ReadBound"/>.
/// </summary>
internal sealed class RedirectListener : IAsyncDisposable
{
    public const string CallbackPath = "/callback";
    public const string LandingPageText = "Sign-in finished; you can close this tab.";

    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(10);
    private const int MaxHead = 8 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Uri> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Uri> _received = [];
    private readonly Task _accepting;

    public RedirectListener()
    {
        _listener.Start();
        RedirectUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{CallbackPath}");
        _accepting = AcceptAsync();
    }

    /// <summary>The redirect_uri to register: http://127.0.0.1:{port}/callback.</summary>
    public Uri RedirectUri { get; }

    /// <summary>The absolute address of the first request received.</summary>
    public Task<Uri> FirstCallback => _first.Task;

    /// <summary>Every request received, in order (a browser may ask for /favicon.ico after the callback).</summary>
    public IReadOnlyList<Uri> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _first.TrySetCanceled();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ReadBound);
        try
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream, timeout.Token);
            if (head is null)
            {
                // A speculative connection chromium opened and closed without a request.
                return;
            }

            var requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)].Split(' ');
            if (requestLine.Length == 3 && requestLine[1].StartsWith('/'))
            {
                var target = new Uri(RedirectUri, requestLine[1]);
                lock (_received)
                {
                    _received.Add(target);
                }

                _first.TrySetResult(target);
            }

            var body = Encoding.UTF8.GetBytes($"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head><body><p>{LandingPageText}</p></body></html>");
            var response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n");
            await stream.WriteAsync(response, timeout.Token);
            await stream.WriteAsync(body, timeout.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The browser went away or the head did not arrive in time: nothing to record.
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHead];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return null;
            }

            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return null;
    }
}
