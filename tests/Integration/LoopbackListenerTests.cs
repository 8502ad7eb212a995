using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AuthHandler.Browser.Internal;

namespace AuthHandler.Tests.Integration;

public sealed partial class LoopbackListenerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OversizedRequest_Gets400AndTheAttemptGoesOn()
    {
        var time = new ObservableTimeProvider(DateTimeOffset.UnixEpoch);
        await using var listener = LoopbackListener.Start(ipv6: false, "/callback", time);

        var answer = await SendAsync(listener, "GET /callback?x=" + new string('a', LoopbackListener.MaxRequestBytes) + " HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);

        var send = SendAsync(listener, "GET /callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var callback = await listener.WaitForCallbackAsync(Cancel);
        callback.Respond(LandingPage.Succeeded);
        Assert.Equal("c", callback.Single("code"));
        Assert.StartsWith("HTTP/1.1 200 ", await send, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StalledConnection_IsClosedAfterTheReadTimeoutOnTheInjectedClock()
    {
        var time = new ObservableTimeProvider(DateTimeOffset.UnixEpoch);
        await using var listener = LoopbackListener.Start(ipv6: false, "/callback", time);
        using var stalled = new TcpClient();
        await stalled.ConnectAsync("127.0.0.1", listener.Port, Cancel);
        await stalled.GetStream().WriteAsync("GET /callback?code=c"u8.ToArray(), Cancel);

        await time.WaitForTimerAsync(LoopbackListener.ReadTimeout);
        Assert.False(stalled.Client.Poll(0, SelectMode.SelectRead));
        time.Advance(LoopbackListener.ReadTimeout);

        Assert.True(await ClosedByPeerAsync(stalled));
        Assert.False(listener.WaitForCallbackAsync(Cancel).IsCompleted);
    }

    /// <summary>
    /// Whether the other side closed the connection: an orderly close (a read returns 0), or a reset,
    /// which Linux sends when a socket whose pending read was cancelled is closed.
    /// </summary>
    private static async Task<bool> ClosedByPeerAsync(TcpClient client)
    {
        try
        {
            return await client.GetStream().ReadAsync(new byte[16], Cancel) == 0;
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return true;
        }
    }

    [Fact]
    public void LandingPage_StyleHashInTheCsp_IsTheHashOfThePagesOnlyStyle()
    {
        var html = Encoding.UTF8.GetString(LandingPage.Failed("x", "y").Render());
        var style = StyleBlock().Match(html).Groups[1].Value;

        Assert.Single(StyleBlock().Matches(html));
        Assert.Contains($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style)))}'", LandingPage.ContentSecurityPolicy, StringComparison.Ordinal);
    }

    /// <summary>Sends a request and reads the answer; bounded on the real clock so a listener that never answers fails the test instead of hanging it.</summary>
    private static async Task<string> SendAsync(LoopbackListener listener, string request)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", listener.Port, bound.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), bound.Token);
        }
        catch (IOException)
        {
            // The listener may answer and close before it has read all of an oversized request.
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(bound.Token);
    }

    [GeneratedRegex("<style>(.*?)</style>")]
    private static partial Regex StyleBlock();
}
