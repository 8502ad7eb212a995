using System.Diagnostics;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// Runs the built sample as a child process (<c>dotnet ApiClient.dll …</c>) the way CI does: output
/// redirected, <c>CI=true</c>, <c>NO_COLOR=1</c>, none of the caller's <c>AUTHHANDLER_*</c> variables,
/// a configuration directory of its own (so no run reads or writes the user's remembered server),
/// no D-Bus session bus (so no run reads or writes the user's keyring),
/// and a time limit after which the whole process tree is killed. Every run is checked for leaks:
/// no output may contain <see cref="SecretMarker"/>, which every token and code in these tests holds,
/// nor the start of a stored DPoP key (<see cref="StoredDPoPKeyPrefix"/>), whatever the key.
/// </summary>
internal static class SampleProcess
{
    public const string SecretMarker = "xLEAKx";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How every stored DPoP key begins (TokenSet.DPoPKey: PKCS#8 of a P-256 key, base64url): the
    /// DER header and algorithm identifiers, the same for every such key, so a run is checked for
    /// a leaked key even when its token store is gone (the demo's).
    /// </summary>
    public static string StoredDPoPKeyPrefix { get; } = DPoPKeyPrefix();

    /// <summary>The sample's build output, copied beside the tests by the project reference.</summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "ApiClient.dll");

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    private static string DotnetHost { get; } = FindDotnetHost();

    /// <summary>The command the sample prints in its hints when started this way, from its own directory.</summary>
    public const string CommandName = "dotnet ApiClient.dll";

    /// <summary>Where the sample keeps its remembered server (under <c>authhandler-sample/</c>), on Unix.</summary>
    public const string ConfigHomeVariable = "XDG_CONFIG_HOME";

    /// <summary>Runs the sample; <paramref name="environment"/> adds variables, and a <see langword="null"/> value removes one.</summary>
    public static Task<SampleRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        RunAsync(arguments, environment, onLine: null, timeout);

    /// <summary>
    /// As <see cref="RunAsync(IEnumerable{string}, IReadOnlyDictionary{string, string?}?, TimeSpan?)"/>, handing each line of
    /// standard output to <paramref name="onLine"/> as it is written, while the sample runs (a test plays the browser there).
    /// A callback that throws stops the sample; its exception is the run's.
    /// </summary>
    public static async Task<SampleRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, Func<string, Task>? onLine, TimeSpan? timeout = null)
    {
        string? configHome = null;
        if (environment?.ContainsKey(ConfigHomeVariable) != true)
        {
            configHome = Path.Combine(Path.GetTempPath(), "authhandler-sample-config-" + Guid.NewGuid().ToString("N"));
            environment = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { [ConfigHomeVariable] = configHome, ["APPDATA"] = configHome };
        }

        try
        {
            return await RunInAsync(arguments, environment, onLine, timeout);
        }
        finally
        {
            if (configHome is not null && Directory.Exists(configHome))
            {
                Directory.Delete(configHome, recursive: true);
            }
        }
    }

    private static async Task<SampleRun> RunInAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, Func<string, Task>? onLine, TimeSpan? timeout)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Start(arguments, environment);
        var stdout = onLine is null ? process.StandardOutput.ReadToEndAsync(CancellationToken.None) : ReadLinesAsync(process, onLine);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"ApiClient {string.Join(' ', arguments)} did not exit within {(timeout ?? DefaultTimeout).TotalSeconds} s.\n--- stdout ---\n{await stdout}\n--- stderr ---\n{await stderr}");
        }

        var run = new SampleRun(process.ExitCode, await stdout, await stderr, Stopwatch.GetElapsedTime(started));
        Assert.False(run.Stdout.Contains(SecretMarker, StringComparison.Ordinal), $"A token or code reached standard output:\n{run}");
        Assert.False(run.Stderr.Contains(SecretMarker, StringComparison.Ordinal), $"A token or code reached standard error:\n{run}");
        Assert.False(run.Stdout.Contains(StoredDPoPKeyPrefix, StringComparison.Ordinal), $"A DPoP private key reached standard output:\n{run}");
        Assert.False(run.Stderr.Contains(StoredDPoPKeyPrefix, StringComparison.Ordinal), $"A DPoP private key reached standard error:\n{run}");
        return run;
    }

    private static async Task<string> ReadLinesAsync(Process process, Func<string, Task> onLine)
    {
        var text = new System.Text.StringBuilder();
        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
        {
            text.Append(line).Append('\n');
            try
            {
                await onLine(line);
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }

        return text.ToString();
    }

    private static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AUTHHANDLER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["CI"] = "true";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        // A test that forgot --store must not touch the real ~/.config/AuthHandler.
        start.Environment["AUTHHANDLER_HOME"] = Path.Combine(Path.GetTempPath(), "authhandler-sample-tests-home");

        // The sample keeps its tokens in the platform credential store (UsePlatformTokenStore). On a
        // Linux desktop that is the user's own keyring on the D-Bus session bus: without the bus
        // address the sample cannot reach it, falls back to the owner-only file in --store (which
        // the tests read and delete), and `status` says so (StatusTests). A test may set it again.
        start.Environment.Remove("DBUS_SESSION_BUS_ADDRESS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
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

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        process.StandardInput.Close();
        return process;
    }

    private static string DPoPKeyPrefix()
    {
        using var key = AuthHandler.Protocol.DPoP.Internal.DPoPKey.Create();
        var stored = key.ExportPrivateKey();

        // 27 DER bytes (SEQUENCE, version, the id-ecPublicKey and P-256 OIDs) are 36 base64 characters.
        return stored[..36];
    }

    private static string FindDotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // The running runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
