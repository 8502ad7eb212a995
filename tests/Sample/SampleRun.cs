using System.Text.Json;

namespace AuthHandler.Tests.Sample;

/// <summary>How a run of the sample ended: its exit code and everything it printed.</summary>
internal sealed record SampleRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();

    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();

    /// <summary>Standard output as JSON lines: every line must be one JSON object with an <c>event</c>.</summary>
    public IReadOnlyList<JsonElement> Events()
    {
        var events = new List<JsonElement>();
        foreach (var line in Lines)
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            Assert.True(document.RootElement.TryGetProperty("event", out _), $"No event field in: {line}");
            events.Add(document.RootElement.Clone());
        }

        return events;
    }

    public IReadOnlyList<string> EventNames() => Events().Select(e => e.GetProperty("event").GetString()!).ToList();

    public JsonElement Event(string name) => Events().Single(e => e.GetProperty("event").GetString() == name);

    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
