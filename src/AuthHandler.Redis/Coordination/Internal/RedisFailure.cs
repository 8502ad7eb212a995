using StackExchange.Redis;

namespace AuthHandler.Coordination.Internal;

/// <summary>Which exceptions mean "Redis cannot be reached or cannot answer now".</summary>
internal static class RedisFailure
{
    /// <summary>
    /// Connection failures, timeouts and server errors (LOADING, READONLY, OOM, MASTERDOWN…): all
    /// may pass without a new sign-in, so the session keeps its tokens and tries again later.
    /// </summary>
    public static bool Is(Exception exception) => exception is RedisException or RedisTimeoutException;

    /// <summary>A transient store failure whose message says what failed and what happens next.</summary>
    public static TokenStoreException Unavailable(string what, string clientName, Exception exception) => new(
        $"Redis is unavailable for the {what} of client '{clientName}' ({exception.GetType().Name}: {Summary(exception.Message)}). The tokens are kept; the next request tries again.",
        isTransient: true,
        exception);

    /// <summary>
    /// The first clause of a StackExchange.Redis message, which goes on with a page of connection
    /// diagnostics; the inner exception keeps all of it.
    /// </summary>
    private static string Summary(string message)
    {
        var end = message.Length;
        foreach (var separator in (ReadOnlySpan<string>)[" - ", ", command=", "; "])
        {
            var index = message.IndexOf(separator, StringComparison.Ordinal);
            if (index > 0 && index < end)
            {
                end = index;
            }
        }

        return end > 300 ? message[..300] + "…" : message[..end];
    }
}
