namespace AuthHandler.Fleet;

/// <summary>One of issue 14's goals, and whether this run met it.</summary>
internal sealed record GoalResult(string Goal, bool Met, string Measured);
