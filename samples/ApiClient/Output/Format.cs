using System.Globalization;

namespace ApiClient.Output;

/// <summary>Times and durations as people read them.</summary>
internal static class Format
{
    public static string Instant(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = -duration;
        }

        return duration.TotalSeconds switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(duration.TotalSeconds):0} s"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(duration.TotalMinutes):0} min"),
            < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours} h {duration.Minutes} min"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalDays} days"),
        };
    }

    /// <summary>"in 4 s" or "3 min ago".</summary>
    public static string Relative(DateTimeOffset instant, DateTimeOffset now) =>
        instant >= now ? "in " + Duration(instant - now) : Duration(now - instant) + " ago";

    /// <summary>m:ss, for countdowns.</summary>
    public static string Countdown(TimeSpan left)
    {
        var seconds = Math.Max(0, (int)Math.Ceiling(left.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }

    /// <summary>"never", "once", "twice", "3 times".</summary>
    public static string Times(int count) => count switch
    {
        0 => "never",
        1 => "once",
        2 => "twice",
        _ => string.Create(CultureInfo.InvariantCulture, $"{count} times"),
    };

    public static string Seconds(TimeSpan duration) =>
        string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s");
}
