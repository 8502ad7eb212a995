using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// Keeps every log record with its structured state read the way an exporter reads it
/// (OpenTelemetry, a JSON console): each value, and each element of a value that is a list
/// (the factory's header records hold a header's values as a list of strings), as text.
/// </summary>
internal sealed class StateCapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedRecord> _records = new();

    public IReadOnlyList<CapturedRecord> Records => [.. _records];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _records);

    /// <summary>Fails when any record's message or state contains <paramref name="secret"/>, naming the record.</summary>
    public void AssertNowhere(string secret)
    {
        foreach (var record in _records)
        {
            Assert.False(
                record.Message.Contains(secret, StringComparison.Ordinal) || record.State.Any(v => v.Contains(secret, StringComparison.Ordinal)),
                $"The secret is in the record {record.EventName} of {record.Category}: {record.Message} | {string.Join(" | ", record.State)}");
        }
    }

    public void Dispose()
    {
    }

    internal sealed record CapturedRecord(string Category, string? EventName, LogLevel Level, string Message, IReadOnlyList<string> State);

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedRecord> records) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<string>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values.Add(key + "=" + Text(value));
                }
            }

            records.Enqueue(new CapturedRecord(category, eventId.Name, logLevel, formatter(state, exception) + " " + exception, values));
        }

        private static string Text(object? value) => value switch
        {
            null => string.Empty,
            string text => text,
            IEnumerable list => string.Join(", ", list.Cast<object?>().Select(Text)),
            _ => value.ToString() ?? string.Empty,
        };
    }
}
