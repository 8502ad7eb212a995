using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuthHandler.Fleet;

/// <summary>
/// A private redis-server on a free loopback port, without persistence (<c>--save '' --appendonly no</c>),
/// that can be frozen (SIGSTOP/SIGCONT: unreachable, data kept), stopped and started again on the
/// same port (SIGKILL: data gone, unless an explicit SAVE left a snapshot for the new server to load).
/// </summary>
/// <remarks>
/// A watchdog shell owns the server and kills it once the harness is gone, even when the harness
/// is killed outright; it prints the server's pid first so the harness can signal the server itself.
/// </remarks>
internal sealed class RedisProcess : IAsyncDisposable
{
    private const string Watchdog = """
        parent=$1; shift
        "$@" &
        child=$!
        echo "pid:$child"
        trap 'kill -9 $child 2>/dev/null' EXIT INT TERM
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
        """;

    private readonly string _directory;
    private Process? _watchdog;
    private int _serverPid;

    private RedisProcess(string directory) => _directory = directory;

    public int Port { get; private set; }

    /// <summary>The library's defaults otherwise (5 s connect and command timeouts); it adds <c>abortConnect=false</c> itself.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisProcess> StartAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var redis = new RedisProcess(directory);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // A free port can be taken between finding it and binding it: try a few.
            redis.Port = FreeLoopbackPort();
            if (await redis.TryLaunchAsync())
            {
                return redis;
            }
        }

        throw new InvalidOperationException("redis-server did not start (is it on PATH? `command -v redis-server`).");
    }

    /// <summary>SIGSTOP: connections stay open and commands time out, as in a partition or a frozen host.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGKILL (after a SAVE when <paramref name="keepData"/>): connections are refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync(bool keepData)
    {
        if (keepData && !(await CommandAsync("SAVE")).StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("redis-server did not save its data.");
        }

        await SignalAsync("KILL");
        if (_watchdog is { } old)
        {
            await old.WaitForExitAsync();
            old.Dispose();
            _watchdog = null;
        }
    }

    /// <summary>A new server on the same port: with the data of the last SAVE, or empty when there was none.</summary>
    public async Task StartAgainAsync()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await TryLaunchAsync())
            {
                return;
            }

            // Another process's port release, on the real clock: a bounded poll.
            await Task.Delay(100);
        }

        throw new InvalidOperationException($"redis-server did not restart on port {Port}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_watchdog is { } watchdog)
        {
            _watchdog = null;
            await SignalAsync("KILL");
            watchdog.Kill(entireProcessTree: true);
            await watchdog.WaitForExitAsync();
            watchdog.Dispose();
        }
    }

    private async Task<bool> TryLaunchAsync()
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", Watchdog, "redis-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "redis-server" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--logfile", Path.Combine(_directory, "redis.log") })
        {
            start.ArgumentList.Add(argument);
        }

        var watchdog = Process.Start(start) ?? throw new InvalidOperationException("/bin/sh did not start.");
        watchdog.ErrorDataReceived += (_, _) => { };
        watchdog.BeginErrorReadLine();
        var first = await watchdog.StandardOutput.ReadLineAsync();
        if (first is null || !first.StartsWith("pid:", StringComparison.Ordinal))
        {
            await watchdog.WaitForExitAsync();
            watchdog.Dispose();
            return false;
        }

        _serverPid = int.Parse(first.AsSpan(4), CultureInfo.InvariantCulture);
        _watchdog = watchdog;
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(15) && !watchdog.HasExited)
        {
            try
            {
                if ((await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
            }

            await Task.Delay(20);
        }

        // Exited (the port was taken) or never answered.
        await SignalAsync("KILL");
        watchdog.Kill(entireProcessTree: true);
        await watchdog.WaitForExitAsync();
        watchdog.Dispose();
        _watchdog = null;
        return false;
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _serverPid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("kill did not start.");
        await kill.WaitForExitAsync();
    }

    /// <summary>One inline command, one reply line (enough for PING and SAVE).</summary>
    private async Task<string> CommandAsync(string command)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
