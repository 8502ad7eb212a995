using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Soak;

/// <summary>
/// A logger provider that only counts the library's log events by id, so the soak can say how
/// often a refresh failed, a request joined a refresh or was re-sent after a 401.
/// </summary>
internal sealed class EventCounter : ILoggerProvider, ILogger
{
    private readonly ConcurrentDictionary<(int Id, string? Name, LogLevel Level), long> _counts = new();

    public long Count(int eventId) => _counts.Where(c => c.Key.Id == eventId).Sum(c => c.Value);

    /// <summary>Only the library's category; HttpClient's and Polly's own events are not counted.</summary>
    public ILogger CreateLogger(string categoryName) =>
        categoryName == "AuthHandler" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _counts.AddOrUpdate((eventId.Id, eventId.Name, logLevel), 1, (_, n) => n + 1);

    public void Dispose()
    {
    }
}
