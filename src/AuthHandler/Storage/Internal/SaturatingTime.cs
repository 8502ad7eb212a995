namespace AuthHandler.Storage.Internal;

/// <summary>
/// Instant arithmetic that clamps at <see cref="DateTimeOffset.MinValue"/> and
/// <see cref="DateTimeOffset.MaxValue"/> instead of throwing: a stored or received time near
/// either end (a tampered file, a server's huge lifetime) must make a token look expired or
/// long-lived, never make every request fail with "un-representable DateTime" (invariant 12).
/// </summary>
internal static class SaturatingTime
{
    /// <summary><paramref name="instant"/> + <paramref name="span"/>, in UTC, clamped to the representable range.</summary>
    public static DateTimeOffset Add(DateTimeOffset instant, TimeSpan span)
    {
        // Int128 holds any sum of two longs, so the clamp sees the true result.
        var ticks = Int128.Clamp((Int128)instant.UtcTicks + span.Ticks, DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks);
        return new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }

    /// <summary><paramref name="instant"/> − <paramref name="span"/>, in UTC, clamped to the representable range.</summary>
    public static DateTimeOffset Subtract(DateTimeOffset instant, TimeSpan span)
    {
        var ticks = Int128.Clamp((Int128)instant.UtcTicks - span.Ticks, DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks);
        return new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }
}
