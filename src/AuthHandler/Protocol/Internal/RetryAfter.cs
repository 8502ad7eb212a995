using System.Net.Http.Headers;

namespace AuthHandler.Protocol.Internal;

/// <summary>RFC 9110 §10.2.3 <c>Retry-After</c>: seconds, or an HTTP date.</summary>
internal static class RetryAfter
{
    /// <summary>How long the server asks to wait, measured from <paramref name="now"/>; zero for a date in the past; null when it does not say.</summary>
    public static TimeSpan? Read(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - now : null);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }
}
