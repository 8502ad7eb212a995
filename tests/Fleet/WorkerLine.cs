using System.Text.Json.Serialization;

namespace AuthHandler.Fleet;

/// <summary>
/// One line of JSON a worker writes on stdout: <c>ready</c>, then a <c>call</c> per finished call
/// (<see cref="Outcome"/> <c>ok</c>, <c>cut</c> for a call still running when the run ended, or
/// what failed), a <c>sign-out</c> per sign-in-required signal (the reason and OAuth error), a
/// <c>refreshed</c> per refresh this process redeemed, and <c>done</c> with the session state.
/// </summary>
/// <param name="Kind">ready, call, sign-out, refreshed, done.</param>
/// <param name="At">When it happened (a call: when it ended), Unix milliseconds.</param>
/// <param name="Started">A call's start, Unix milliseconds.</param>
/// <param name="Outcome">A call's outcome; a sign-out's reason; the final session state.</param>
/// <param name="Error">A sign-out's OAuth error code, if any.</param>
internal sealed record WorkerLine(
    [property: JsonPropertyName("k")] string Kind,
    [property: JsonPropertyName("t")] long At,
    [property: JsonPropertyName("s")] long Started = 0,
    [property: JsonPropertyName("o")] string? Outcome = null,
    [property: JsonPropertyName("e")] string? Error = null)
{
    public const string Ok = "ok";
    public const string Cut = "cut";

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
