namespace AuthHandler;

/// <summary>
/// Names for wiring the library's telemetry into OpenTelemetry:
/// <c>AddMeter(DeviceAuthDiagnostics.MeterName)</c> and <c>AddSource(DeviceAuthDiagnostics.ActivitySourceName)</c>.
/// </summary>
/// <remarks>
/// <para>Instruments (all tagged with <c>authhandler.client</c>, the HTTP client name):</para>
/// <list type="bullet">
/// <item><c>authhandler.refresh.count</c> — runs of the shared refresh by <c>authhandler.outcome</c>:
/// <c>refreshed</c> (the token endpoint issued tokens), <c>adopted</c> (another session or process
/// had refreshed), <c>rejected</c>, <c>signed_out</c>, <c>transient</c>, <c>client_configuration</c>.
/// A session's first read of the store is not a refresh and is not counted here, unless it found
/// an expired token and called the token endpoint.</item>
/// <item><c>authhandler.refresh.duration</c> — seconds per refresh, by outcome (the same runs).</item>
/// <item><c>authhandler.store.load.count</c> — a session's first reads of the store that called no
/// token endpoint, by <c>authhandler.outcome</c>: <c>loaded</c> (usable tokens), <c>signed_out</c>
/// (none stored, or none usable: unreadable, refresh token expired), <c>transient</c> (the store
/// or the refresh lock failed).</item>
/// <item><c>authhandler.refresh.joins</c> — requests that waited on a refresh another request started.</item>
/// <item><c>authhandler.request.retries</c> — requests re-sent after a 401.</item>
/// <item><c>authhandler.sign_in_required</c> — sign-in-required signals, by <c>authhandler.reason</c>.</item>
/// <item><c>authhandler.signin.count</c> — device sign-ins by outcome: <c>signed_in</c> or the failure.</item>
/// </list>
/// <para>Spans: <c>AuthHandler.Refresh</c> and <c>AuthHandler.SignIn</c>, each a root span linked to
/// the request spans that waited on it. No tag ever carries a token, a code or a user id.</para>
/// </remarks>
public static class DeviceAuthDiagnostics
{
    /// <summary>The name of the library's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "AuthHandler";

    /// <summary>The name of the library's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "AuthHandler";
}
