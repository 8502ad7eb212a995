using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiClient.Client;
using AuthHandler;

namespace ApiClient.Output;

/// <summary>
/// One JSON object per line on standard output, each with an <c>event</c> field; names are
/// snake_case like OAuth's own. Nothing else is written to standard output in this mode.
/// </summary>
internal sealed class JsonReporter : Reporter
{
    /// <summary>
    /// Plain JSON: the default encoder escapes HTML-sensitive characters (<c>"</c> inside a string
    /// becomes <c>\u0022</c>, <c>&lt;</c> <c>\u003C</c>, <c>+</c> <c>\u002B</c>) so the text can be
    /// pasted into a web page. These lines go to scripts and terminals, never into HTML, so the relaxed
    /// encoder is safe here; it still escapes what JSON requires (quotes as <c>\"</c>, control characters).
    /// </summary>
    private static readonly JsonSerializerOptions Plain = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _out;
    private readonly Lock _gate = new();

    public JsonReporter(TextWriter output) => _out = output;

    public override void DemoStarted(Uri server, string storeDirectory) =>
        Emit("demo_started", new() { ["server"] = server.ToString(), ["store"] = storeDirectory });

    public override void Step(int number, string message) =>
        Emit("step", new() { ["step"] = number, ["message"] = message });

    public override void StepFailed(int number, string message) =>
        Emit("step_failed", new() { ["step"] = number, ["message"] = message });

    public override void DemoFinished(TimeSpan elapsed) =>
        Emit("demo_finished", new() { ["seconds"] = Math.Round(elapsed.TotalSeconds, 1) });

    public override void DemoDPoP(string thumbprint, int verifiedProofs, int nonceChallenges) =>
        Emit("dpop", new() { ["jkt"] = thumbprint, ["verified_proofs"] = verifiedProofs, ["nonce_challenges"] = nonceChallenges });

    public override async Task PauseAsync(string activity, DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        var left = until - time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, time, cancellationToken);
        }
    }

    public override void CodeIssued(OnDeviceCodeArguments code, string? hint) => Emit("code_issued", new()
    {
        ["user_code"] = code.UserCode,
        ["verification_uri"] = code.VerificationUri.ToString(),
        ["verification_uri_complete"] = code.VerificationUriComplete?.ToString(),
        ["expires_at"] = code.ExpiresAt.ToUniversalTime(),
    });

    public override async Task WaitForApprovalAsync(Task signIn, DateTimeOffset expiresAt, TimeProvider time)
    {
        Emit("waiting", new() { ["expires_at"] = expiresAt.ToUniversalTime() });
        await signIn;
    }

    public override void SignedIn(SessionReport report) => Emit("signed_in", Describe(report));

    public override void Refreshed(RefreshedEventArgs arguments) => Emit("refreshed", new()
    {
        ["access_token_expires_at"] = arguments.ExpiresAt.ToUniversalTime(),
        ["refresh_token_rotated"] = arguments.RefreshTokenRotated,
    });

    public override void Unauthorized(SignInRequiredEventArgs arguments) => Emit("signed_out", new()
    {
        ["reason"] = Name(arguments.Reason),
        ["error"] = arguments.Error,
        ["message"] = Describe(arguments.Reason),
    });

    public override void SignedOut(RevocationResult revocation, bool hadTokens) => Emit("signed_out", new()
    {
        ["reason"] = "logout",
        ["had_tokens"] = hadTokens,
        ["revocation"] = Name(revocation),
    });

    public override void Response(Uri requestUri, ApiResponse response) => Emit("response", new()
    {
        ["url"] = requestUri.ToString(),
        ["status"] = response.StatusCode,
        ["reason"] = response.ReasonPhrase,
        ["content_type"] = response.ContentType,
        ["body"] = response.Body,
    });

    public override void Status(SessionReport report) => Emit("status", Describe(report));

    public override void Warning(string message) => Emit("warning", new() { ["message"] = message });

    public override void Remembered(string file) => Emit("remembered", new() { ["file"] = file });

    public override void BrowserOpened(Uri url) => Emit("browser_opened", new() { ["url"] = url.ToString() });

    public override void Error(string code, string message, int exitCode) => Emit("error", new()
    {
        ["code"] = code,
        ["message"] = message,
        ["exit_code"] = exitCode,
    });

    public override void AuthorizationUrl(Uri url) => Emit("authorization_url", new() { ["url"] = url.AbsoluteUri });

    public override void SignInPageOpened(Uri url) => Emit("sign_in_page_opened", new() { ["url"] = url.AbsoluteUri });

    /// <summary>PascalCase enum names as snake_case: RefreshRejected → refresh_rejected.</summary>
    private static string Name<T>(T value)
        where T : struct, Enum =>
        JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static JsonObject Describe(SessionReport report) => new()
    {
        ["signed_in"] = report.SignedIn,
        ["authority"] = report.Authority,
        ["client_id"] = report.ClientId,
        ["scope"] = report.Scope,
        ["account"] = report.Account,
        ["access_token_expires_at"] = report.AccessTokenExpiresAt?.ToUniversalTime(),
        ["access_token_expired"] = report.AccessTokenExpiresAt is { } expires ? expires <= DateTimeOffset.UtcNow : null,
        ["has_refresh_token"] = report.HasRefreshToken,
        ["refresh_token_expires_at"] = report.RefreshTokenExpiresAt?.ToUniversalTime(),
        ["token_type"] = report.SignedIn ? (report.DPoPThumbprint is null ? "Bearer" : "DPoP") : null,
        ["dpop_jkt"] = report.DPoPThumbprint,
        ["store_directory"] = report.StoreDirectory,
        ["token_storage"] = report.Storage is { } storage
            ? new JsonObject
            {
                ["kind"] = Name(storage.Kind),
                ["description"] = storage.Description,
                ["fallback_reason"] = storage.FallbackReason,
            }
            : null,
        ["problem"] = report.Problem,
        ["login_command"] = report.LoginCommand,
    };

    private void Emit(string name, JsonObject fields)
    {
        var line = new JsonObject { ["event"] = name };
        foreach (var (key, value) in fields.ToList())
        {
            if (value is not null)
            {
                fields.Remove(key);
                line[key] = value;
            }
        }

        lock (_gate)
        {
            _out.WriteLine(line.ToJsonString(Plain));
            _out.Flush();
        }
    }
}
