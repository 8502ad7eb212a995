using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AuthHandler.Tests.Redis;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, with no persistence unless a test
/// asks for a snapshot, removed with its directory on dispose. On a machine without redis-server
/// the test that asks for one is skipped with the reason; under <c>CI=true</c> it fails instead.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    /// <summary>Overrides where redis-server is (an absent path behaves like a machine without it).</summary>
    public const string ServerPathVariable = "AUTHHANDLER_REDIS_SERVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// <c>sh -c Watchdog redis-watchdog PARENT_PID redis-server ARGS…</c>: runs the server and
    /// waits until it or the test process ends; then the server goes too.
    /// </summary>
    private const string Watchdog = """
        parent=$1; shift
        "$@" &
        child=$!
        trap 'kill $child 2>/dev/null' EXIT INT TERM
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
        """;

    // Servers still running when the test process exits (a test that never disposed its host,
    // an aborted run) are killed then, so no redis-server outlives the tests.
    private static readonly ConcurrentDictionary<Process, byte> Running = new();

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Keys)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
    };

    private readonly string _executable;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private int? _pausedId;

    private RedisServer(string executable, string directory, int port)
    {
        _executable = executable;
        Directory = directory;
        Port = port;
    }

    public int Port { get; private set; }

    public string Directory { get; }

    /// <summary>Timeouts generous enough for a loaded CI machine.</summary>
    public string ConnectionString => ConnectionStringWithTimeout(5000);

    /// <summary>For outage tests: a command to a server that is gone fails after <paramref name="milliseconds"/>.</summary>
    public string ConnectionStringWithTimeout(int milliseconds) =>
        $"127.0.0.1:{Port},abortConnect=false,connectTimeout={milliseconds},asyncTimeout={milliseconds},syncTimeout={milliseconds}";

    public static async Task<RedisServer> StartAsync()
    {
        var executable = Find(out var reason);
        if (executable is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason + " CI=true, so a missing Redis is a failure: .ci/run must install redis-server.");
            }

            Assert.Skip(reason);
        }

        var directory = Path.Combine(Path.GetTempPath(), "authhandler-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServer(executable, directory, 0);
        try
        {
            // A free port can be taken between finding it and binding it: try a few.
            for (var attempt = 0; ; attempt++)
            {
                server.Port = FreeLoopbackPort();
                if (await server.TryLaunchAsync())
                {
                    return server;
                }

                if (attempt == 4)
                {
                    throw new InvalidOperationException("redis-server did not start: " + string.Join('\n', server._output));
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Snapshots the data to disk (when <paramref name="keepData"/>) and kills the server: an outage.</summary>
    public async Task StopAsync(bool keepData)
    {
        if (keepData)
        {
            Assert.StartsWith("+OK", await CommandAsync("SAVE"), StringComparison.Ordinal);
        }

        await KillAsync();
    }

    /// <summary>Starts the server again on the same port, loading the last snapshot.</summary>
    public async Task RestartAsync()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await TryLaunchAsync())
            {
                return;
            }

            // redis-server is another process on the real clock: a bounded poll, not a fake-clock wait.
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        throw new InvalidOperationException($"redis-server did not restart on port {Port}: " + string.Join('\n', _output));
    }

    /// <summary>
    /// Freezes the server (SIGSTOP): its connections stay open and its port accepts, but nothing
    /// answers, as with a stalled or failing-over primary. Its data stays. Unix only.
    /// </summary>
    public async Task PauseAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Pausing redis-server takes SIGSTOP, which Windows does not have.");
        }

        _pausedId ??= await ProcessIdAsync();
        await SignalAsync("-STOP", _pausedId.Value);
    }

    /// <summary>Lets a paused server run again (SIGCONT); it answers everything sent meanwhile.</summary>
    public async Task ResumeAsync()
    {
        if (_pausedId is { } id)
        {
            _pausedId = null;
            await SignalAsync("-CONT", id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResumeAsync();
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? Find(out string reason)
    {
        var overridden = Environment.GetEnvironmentVariable(ServerPathVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            reason = $"redis-server was not found at {overridden} ({ServerPathVariable}); the Redis tests need a real server.";
            return File.Exists(overridden) ? overridden : null;
        }

        var name = OperatingSystem.IsWindows() ? "redis-server.exe" : "redis-server";
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                reason = string.Empty;
                return candidate;
            }
        }

        reason = "redis-server was not found on PATH (install it, e.g. apt-get install redis-server, or set " + ServerPathVariable + "); the Redis tests need a real server.";
        return null;
    }

    private async Task<bool> TryLaunchAsync()
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (OperatingSystem.IsWindows())
        {
            start.FileName = _executable;
        }
        else
        {
            // A watchdog shell owns the server and kills it once this test process is gone, even
            // when the run is killed outright and no dispose or exit handler gets to run.
            start.FileName = "/bin/sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Watchdog);
            start.ArgumentList.Add("redis-watchdog");
            start.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(_executable);
        }

        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", Directory, "--daemonize", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Running.TryAdd(process, 0);

        var started = Stopwatch.StartNew();
        while (started.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                _process = null;
                Running.TryRemove(process, out _);
                process.Dispose();
                return false;
            }

            try
            {
                if ((await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
            }

            // Waiting for another process to answer PING: real time, bounded by the attempt count.
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        await KillAsync();
        return false;
    }

    /// <summary>The redis-server's own process id (the process this class starts is the watchdog shell).</summary>
    private async Task<int> ProcessIdAsync()
    {
        var info = await CommandAsync("INFO server", until: "process_id:");
        var start = info.IndexOf("process_id:", StringComparison.Ordinal) + "process_id:".Length;
        var end = info.IndexOf('\r', start);
        return int.Parse(info[start..end], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends <paramref name="signal"/> to this test's own redis-server, by its id.</summary>
    private static async Task SignalAsync(string signal, int processId)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { signal, processId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start.");
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private void Record(string? line)
    {
        if (line is not null && _output.Count < 200)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>
    /// One inline command; the reply as far as the first read (enough for PING and SAVE), or, with
    /// <paramref name="until"/>, until it holds that text and the end of its line.
    /// </summary>
    private async Task<string> CommandAsync(string command, string? until = null)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
        var reply = new StringBuilder();
        var buffer = new byte[4096];
        do
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        while (until is not null && !HasLine(reply.ToString(), until));

        return reply.ToString();
    }

    private static bool HasLine(string reply, string text) =>
        reply.IndexOf(text, StringComparison.Ordinal) is var at and >= 0 && reply.IndexOf('\n', at) > 0;

    private async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        Running.TryRemove(process, out _);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
