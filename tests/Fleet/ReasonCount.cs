namespace AuthHandler.Fleet;

/// <summary>How many calls failed (or sign-outs happened) for one reason, first and last seen (s after the load started).</summary>
internal sealed record ReasonCount(string Reason, int Count, double FirstAt, double LastAt);
