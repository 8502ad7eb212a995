using System.Diagnostics;

namespace AuthHandler.Tests;

/// <summary>
/// One run of the coordination helper program (tests/CoordinationHelper) as a separate OS
/// process. Compiled into each test project that starts helpers; each of them builds the helper.
/// </summary>
internal sealed class HelperProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(string Line, long Timestamp)> _output = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HelperProcess(Process process) => _process = process;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.Select(o => o.Line));
            }
        }
    }

    /// <summary>Completes when the process has ended and all it printed is in <see cref="Output"/>.</summary>
    public Task Exited => _exited.Task;

    public static HelperProcess Start(params string[] arguments) => StartWithEnvironment(new Dictionary<string, string?>(), arguments);

    /// <summary>Starts the helper with <paramref name="environment"/> added to (or, for a null value, removed from) this process's environment.</summary>
    public static HelperProcess StartWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        // tests/<Project>/bin/<Configuration>/net10.0/ → tests/CoordinationHelper/bin/<Configuration>/net10.0/
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "CoordinationHelper", "bin", configuration, "net10.0", "AuthHandler.CoordinationHelper.dll"));
        Assert.True(File.Exists(dll), $"the helper is built at {dll}");

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var helper = new HelperProcess(process);
        process.OutputDataReceived += (_, e) => helper.Add(e.Data);
        process.ErrorDataReceived += (_, e) => helper.Add(e.Data is null ? null : "stderr: " + e.Data);
        // Exited fires when the process ends, possibly before its last output lines were read; the
        // parameterless WaitForExit returns once the redirected streams reached their end too, so
        // Exited means "ended, and everything it printed is in Output".
        process.Exited += (_, _) => _ = Task.Run(() =>
        {
            try
            {
                process.WaitForExit();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                // Disposed by the test meanwhile: nothing more will be read.
            }

            helper._exited.TrySetResult();
        });
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return helper;
    }

    public Task WaitForLineAsync(string line, TimeSpan timeout) => WaitForAnyLineAsync(timeout, line);

    /// <summary>Waits until the helper has printed one of <paramref name="lines"/>; returns the first of them it printed.</summary>
    public async Task<string> WaitForAnyLineAsync(TimeSpan timeout, params string[] lines)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            if (Output.Split('\n').FirstOrDefault(lines.Contains) is { } printed)
            {
                return printed;
            }

            if (_process.HasExited)
            {
                await Task.Delay(50, CancellationToken.None); // let the last output arrive
                Assert.Fail($"The helper exited before printing '{string.Join("' or '", lines)}': {Output}");
            }

            await Task.Delay(10, cancellation.Token);
        }
    }

    /// <summary>
    /// When (a <see cref="Stopwatch"/> timestamp) this process printed its first line starting
    /// with <paramref name="prefix"/>, or null if it has not.
    /// </summary>
    public long? TimeOfLine(string prefix)
    {
        lock (_output)
        {
            foreach (var (line, timestamp) in _output)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return timestamp;
                }
            }
        }

        return null;
    }

    /// <summary>The lines that start with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> Lines(string prefix)
    {
        lock (_output)
        {
            return [.. _output.Select(o => o.Line).Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];
        }
    }

    public Task SendAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    /// <summary>Kills the process at once (SIGKILL on Unix): no finally block, no dispose, no flush runs in it.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add((line, Stopwatch.GetTimestamp()));
            }
        }
    }
}
