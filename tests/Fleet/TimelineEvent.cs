namespace AuthHandler.Fleet;

/// <summary>A <see cref="ServerEvent"/> on the run's clock (s after the load started).</summary>
internal sealed record TimelineEvent(double At, string Kind, string Worker, long Generation);
