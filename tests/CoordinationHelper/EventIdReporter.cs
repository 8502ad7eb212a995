using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthHandler.CoordinationHelper;

/// <summary>
/// Prints <c>log &lt;category&gt; &lt;event id&gt;</c> for every warning or error of the
/// library's categories, so a test can tell what the process went through (it waited for an
/// earlier holder, restored a lost entry). Never the message or its values: those are the
/// library's to keep free of secrets, and the test scans this output for them too.
/// </summary>
internal sealed class EventIdReporter : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith("AuthHandler", StringComparison.Ordinal) ? new CategoryLogger(categoryName) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class CategoryLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log {category} {eventId.Id}"));
            }
        }
    }
}
