using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.InteropServices;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Device.Internal;

/// <summary>The device headers, computed once; applying them is a loop over a fixed array.</summary>
internal sealed class DeviceHeaderSet
{
    public static readonly DeviceHeaderSet Empty = new([]);

    private readonly KeyValuePair<string, string>[] _headers;

    private DeviceHeaderSet(KeyValuePair<string, string>[] headers) => _headers = headers;

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>
    /// The headers for <paramref name="options"/>. Without an explicit device id, the id comes from
    /// the file in <paramref name="storageDirectory"/>, which never throws: a broken file degrades
    /// to a new or a process-local id and is logged through <paramref name="logger"/>.
    /// </summary>
    public static DeviceHeaderSet Create(DeviceHeaderOptions options, string storageDirectory, ILogger logger)
    {
        if (!options.Enabled)
        {
            return Empty;
        }

        var entry = Assembly.GetEntryAssembly();
        var prefix = options.Prefix;
        var headers = new List<KeyValuePair<string, string>>
        {
            new(prefix + "Platform", Clean(options.Platform ?? entry?.GetName().Name)),
            new(prefix + "App-Version", Clean(options.AppVersion ?? AppVersionOf(entry))),
            new(prefix + "Name", Clean(options.DeviceName ?? Environment.MachineName)),
            new(prefix + "Model", Clean($"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}")),
            new(prefix + "OS-Version", Clean(Environment.OSVersion.VersionString)),
            new(prefix + "Id", Clean(options.DeviceId ?? DeviceIdFile.GetOrCreate(storageDirectory, logger))),
        };

        foreach (var (name, value) in options.AdditionalHeaders)
        {
            headers.Add(new(name, Clean(value)));
        }

        return new DeviceHeaderSet([.. headers]);
    }

    /// <summary>Whether one of the headers is named <paramref name="name"/> (header names are case-insensitive).</summary>
    public bool Contains(string name) => Array.Exists(_headers, h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Adds the headers once: a request that comes through again (a resilience handler's retry
    /// re-sends the same message) already carries them, and appending would duplicate each value.
    /// </summary>
    /// <param name="headers">The request's headers.</param>
    /// <param name="mayCarryThem">False when the caller saw the request carry no header at all,
    /// so the look for ours (a header-name parse and a scan) is skipped on the hot path.</param>
    public void ApplyTo(HttpRequestHeaders headers, bool mayCarryThem = true)
    {
        // Small enough to be inlined: with the device headers off, this is one length check.
        if (_headers.Length != 0)
        {
            Add(headers, mayCarryThem);
        }
    }

    private void Add(HttpRequestHeaders headers, bool mayCarryThem)
    {
        var all = _headers;
        if (mayCarryThem && headers.NonValidated.Contains(all[0].Key))
        {
            return;
        }

        foreach (var (name, value) in all)
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    private static string? AppVersionOf(Assembly? assembly)
    {
        var version = assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly?.GetName().Version?.ToString();

        // Drop the source-revision suffix the SDK appends ("1.2.3+abc123").
        var plus = version?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        return plus > 0 ? version![..plus] : version;
    }

    private static string Clean(string? value)
    {
        var cleaned = value is null ? string.Empty : Text.PrintableAscii(value, 256);
        return cleaned.Length == 0 ? "unknown" : cleaned;
    }
}
