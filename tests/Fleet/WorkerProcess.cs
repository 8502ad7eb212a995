using System.Diagnostics;
using System.Text.Json;

namespace AuthHandler.Fleet;

/// <summary>
/// The parent's handle on one worker: starts the same executable in worker mode, collects its
/// <see cref="WorkerLine"/>s, forwards its stderr, and kills it (SIGKILL) for the kill faults.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private long _killedAt;

    private WorkerProcess(int index, Process process)
    {
        Index = index;
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"  [worker {index}] {e.Data}");
            }
        };
        _process.BeginErrorReadLine();
        _reading = Task.Run(ReadAsync);
    }

    public int Index { get; }

    public int Pid => _process.Id;

    /// <summary>Every line but <c>ready</c>, in order; complete once <see cref="WaitForExitAsync"/> returned.</summary>
    public List<WorkerLine> Lines { get; } = [];

    /// <summary>When the harness killed it (Unix ms), or null.</summary>
    public long? KilledAt
    {
        get
        {
            var at = Interlocked.Read(ref _killedAt);
            return at > 0 ? at : null;
        }
    }

    public Task Ready => _ready.Task;

    public static WorkerProcess Start(WorkerSettings settings)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The apphost under `dotnet run`; `dotnet AuthHandler.Fleet.dll` needs the dll passed on.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The harness's own executable is unknown.");
        start.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        foreach (var argument in settings.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        return new WorkerProcess(settings.Index, Process.Start(start) ?? throw new InvalidOperationException("A worker did not start."));
    }

    public async Task GoAsync()
    {
        await _process.StandardInput.WriteLineAsync("go");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>SIGKILL: no finally block, no lease release, no store write runs in the worker.</summary>
    public void Kill()
    {
        Interlocked.Exchange(ref _killedAt, WorkerLine.Now());
        _process.Kill();
    }

    /// <summary>Waits for the worker to end on its own; kills it when <paramref name="timeout"/> passes first.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"  [worker {Index}] did not end in time; killed.");
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        await _reading;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        await _reading;
        _process.Dispose();
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } text)
        {
            WorkerLine? line;
            try
            {
                line = JsonSerializer.Deserialize(text, FleetJsonContext.Default.WorkerLine);
            }
            catch (JsonException)
            {
                Console.Error.WriteLine($"  [worker {Index}] {text}");
                continue;
            }

            if (line?.Kind == "ready")
            {
                _ready.TrySetResult();
            }
            else if (line is not null)
            {
                Lines.Add(line);
            }
        }

        _ready.TrySetException(new InvalidOperationException($"Worker {Index} ended before it was ready."));
    }
}
