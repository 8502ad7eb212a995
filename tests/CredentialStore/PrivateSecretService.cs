using System.Collections.Concurrent;
using System.Diagnostics;
using Tmds.DBus.Protocol;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// A private D-Bus session bus (<c>dbus-daemon</c> with a configuration of its own: no service
/// activation, so nothing else is started on it) and, unless asked otherwise, a
/// <c>gnome-keyring-daemon</c> on it whose "login" collection is created and unlocked with a
/// password given on its stdin. Only the clients the tests point at <see cref="Address"/> use it:
/// the test process's environment is left alone. Both processes and the directory are removed on
/// dispose, and at the latest when the test process exits.
/// </summary>
/// <remarks>
/// On a machine without dbus-daemon, gnome-keyring-daemon or secret-tool the test that asks for
/// one is skipped with the reason; under <c>CI=true</c> (where .ci/run installs them) it fails.
/// </remarks>
internal sealed class PrivateSecretService : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private static readonly ConcurrentDictionary<Process, byte> Running = new();

    private readonly List<Process> _processes = [];

    static PrivateSecretService() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Keys)
        {
            Kill(process);
        }
    };

    private PrivateSecretService(string root)
    {
        Root = root;
    }

    /// <summary>Gets the bus address, for DBUS_SESSION_BUS_ADDRESS of a client.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Gets the directory of the bus socket, the keyring files and a "store" directory for the tests.</summary>
    public string Root { get; }

    /// <summary>Gets a directory for the token store under test (its lock and fallback files).</summary>
    public string StoreDirectory => Path.Combine(Root, "store");

    /// <summary>
    /// Starts the bus, and the keyring daemon unless <paramref name="withKeyring"/> is false. Without
    /// <paramref name="loginCollection"/> the daemon is given no password: it has no login
    /// collection and no default alias, as on a machine where nobody ever signed in to a desktop.
    /// </summary>
    public static async Task<PrivateSecretService> StartAsync(bool withKeyring = true, bool loginCollection = true)
    {
        RequireTools();
        var root = Path.Combine(Path.GetTempPath(), "authhandler-ss-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var service = new PrivateSecretService(root);
        try
        {
            await service.StartBusAsync();
            if (withKeyring)
            {
                await service.StartKeyringAsync(loginCollection);
            }

            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>The environment a helper process needs to use this bus (and only it).</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["DBUS_SESSION_BUS_ADDRESS"] = Address };

    /// <summary>Locks the default collection, as a screen lock or a timeout would.</summary>
    public async Task LockAsync()
    {
        using var connection = new DBusConnection(Address);
        await connection.ConnectAsync();
        var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock", "ao");
        writer.WriteArray(new[] { new ObjectPath("/org/freedesktop/secrets/collection/login") });
        var message = writer.CreateMessage();
        writer.Dispose();
        await connection.CallMethodAsync(message);
    }

    /// <summary>
    /// Stops the keyring daemon (SIGSTOP): it keeps its name on the bus and its socket open, and
    /// answers nothing, as a hung daemon would. Dispose kills it all the same.
    /// </summary>
    public async Task FreezeKeyringAsync()
    {
        var keyring = _processes.Single(p => p.StartInfo.FileName == "gnome-keyring-daemon");
        using var kill = Process.Start("kill", ["-STOP", keyring.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>
    /// What the keyring holds for the attributes, read with secret-tool (libsecret), a client
    /// independent of the code under test; null when it holds nothing.
    /// </summary>
    public async Task<string?> LookupAsync(params string[] attributes)
    {
        var (code, output) = await RunSecretToolAsync(null, ["lookup", .. attributes]);
        return code == 0 ? output : null;
    }

    /// <summary>Stores <paramref name="secret"/> under the attributes with secret-tool, as another program (or a corruption) would.</summary>
    public async Task StoreAsync(string secret, params string[] attributes)
    {
        var (code, output) = await RunSecretToolAsync(secret, ["store", "--label=test", .. attributes]);
        Assert.True(code == 0, "secret-tool store: " + output);
    }

    /// <summary>How many items the keyring holds with these attributes.</summary>
    public async Task<int> CountAsync(params string[] attributes)
    {
        var (code, output) = await RunSecretToolAsync(null, ["search", "--all", .. attributes]);
        return code == 0 ? output.Split('\n').Count(l => l.StartsWith('[')) : 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            Kill(process);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Running.TryRemove(process, out _);
            process.Dispose();
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static void RequireTools()
    {
        var missing = new[] { "dbus-daemon", "gnome-keyring-daemon", "secret-tool" }.Where(tool => Find(tool) is null).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var reason = $"{string.Join(", ", missing)} not found on PATH: these tests need a real Secret Service (apt-get install gnome-keyring libsecret-tools dbus)";
        if (string.Equals(System.Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + "; under CI=true .ci/run installs them, so their absence is a failure");
        }

        Assert.Skip(reason);
    }

    private static string? Find(string tool) => (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, tool))
        .FirstOrDefault(File.Exists);

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task StartBusAsync()
    {
        var socket = Path.Combine(Root, "bus");
        var config = Path.Combine(Root, "bus.conf");
        await File.WriteAllTextAsync(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={socket}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var bus = Start("dbus-daemon", [$"--config-file={config}", "--nofork", "--print-address=1"], environment: null);
        using var timeout = new CancellationTokenSource(StartTimeout);
        var address = await bus.StandardOutput.ReadLineAsync(timeout.Token);
        Assert.False(string.IsNullOrEmpty(address), "dbus-daemon printed no address");
        Address = address;
    }

    private async Task StartKeyringAsync(bool loginCollection)
    {
        var home = Path.Combine(Root, "home");
        var runtime = Path.Combine(Root, "run");
        Directory.CreateDirectory(home);
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(runtime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var keyring = Start(
            "gnome-keyring-daemon",
            loginCollection ? ["--unlock", "--components=secrets", "--foreground"] : ["--components=secrets", "--foreground"],
            new Dictionary<string, string?>
            {
                ["DBUS_SESSION_BUS_ADDRESS"] = Address,
                ["HOME"] = home,
                ["XDG_DATA_HOME"] = Path.Combine(home, "data"),
                ["XDG_RUNTIME_DIR"] = runtime,
                ["DISPLAY"] = null,
                ["WAYLAND_DISPLAY"] = null,
            });

        // --unlock reads the login password from stdin until it closes; the collection is created with it.
        if (loginCollection)
        {
            await keyring.StandardInput.WriteAsync("test-password");
        }

        keyring.StandardInput.Close();

        // Ready when the default alias names the unlocked login collection (or, without one, answers at all).
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (await DefaultCollectionAsync() is { } alias && (alias == "/org/freedesktop/secrets/collection/login" || (!loginCollection && alias == "/")))
            {
                return;
            }

            Assert.True(started.Elapsed < StartTimeout, "gnome-keyring-daemon did not offer an unlocked login collection in time");
            Assert.False(keyring.HasExited, "gnome-keyring-daemon exited");
            await Task.Delay(50);
        }
    }

    private async Task<string?> DefaultCollectionAsync()
    {
        try
        {
            using var connection = new DBusConnection(Address);
            await connection.ConnectAsync();
            var writer = connection.GetMessageWriter();
            writer.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "ReadAlias", "s");
            writer.WriteString("default");
            var message = writer.CreateMessage();
            writer.Dispose();
            return await connection.CallMethodAsync(message, static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), null);
        }
        catch (DBusExceptionBase)
        {
            return null;
        }
    }

    private async Task<(int Code, string Output)> RunSecretToolAsync(string? input, string[] arguments)
    {
        using var process = Start("secret-tool", arguments, new Dictionary<string, string?> { ["DBUS_SESSION_BUS_ADDRESS"] = Address }, track: false);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(StartTimeout);
        return (process.ExitCode, await output + await error);
    }

    private Process Start(string tool, string[] arguments, IReadOnlyDictionary<string, string?>? environment, bool track = true)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

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

        var process = Process.Start(start) ?? throw new InvalidOperationException(tool + " did not start");
        if (track)
        {
            _processes.Add(process);
            Running.TryAdd(process, 0);

            // Read and drop what the daemons print, so that a full pipe never blocks them.
            if (tool != "dbus-daemon")
            {
                _ = process.StandardOutput.ReadToEndAsync();
            }

            _ = process.StandardError.ReadToEndAsync();
        }

        return process;
    }
}
