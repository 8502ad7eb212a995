namespace AuthHandler.Fleet;

/// <summary>The longest time without a successful call (s), and when it began (s after the load started).</summary>
internal sealed record StallReport(double Seconds, double From);
