using ApiClient.Cli;
using ApiClient.Client;
using AuthHandler;
using Spectre.Console;

namespace ApiClient.Output;

/// <summary>
/// Readable lines. On a terminal (and unless colors are off) through Spectre.Console with colors,
/// a live spinner and a QR code; otherwise plain lines, one per event, that CI logs keep intact.
/// Results go to standard output and problems to standard error.
/// </summary>
internal sealed class TextReporter : Reporter
{
    private static readonly TimeSpan SpinnerTick = TimeSpan.FromMilliseconds(200);

    private readonly IAnsiConsole? _console;
    private readonly IAnsiConsole? _errorConsole;
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly bool _story;
    private readonly Lock _gate = new();

    public TextReporter(bool rich, bool story, TextWriter output, TextWriter error)
    {
        _out = output;
        _error = error;
        _story = story;
        if (rich)
        {
            _console = CreateConsole(output);
            _errorConsole = Console.IsErrorRedirected ? null : CreateConsole(error);
        }
    }

    public override void DemoStarted(Uri server, string storeDirectory) =>
        Out($"[bold]AuthHandler demo[/]: an embedded authorization server and API on [blue]{E(server.ToString().TrimEnd('/'))}[/] (nothing leaves this machine); tokens go to a temporary directory that is deleted at the end.");

    public override void Step(int number, string message) =>
        Out($"[green]{number}.[/] {E(message)}");

    public override void StepFailed(int number, string message) =>
        Err($"[red]{number}. FAILED:[/] {E(message)}");

    public override void DemoFinished(TimeSpan elapsed) =>
        Out($"[bold]Demo complete[/] in {Format.Seconds(elapsed)}; no token value was printed and the temporary token store is gone.");

    public override void DemoDPoP(string thumbprint, int verifiedProofs, int nonceChallenges) =>
        Out($"The tokens were DPoP-bound (key jkt={E(thumbprint)}): every token and API request carried a proof, the server verified {verifiedProofs} of them, and the API asked for a nonce {Format.Times(nonceChallenges)}.");

    public override async Task PauseAsync(string activity, DateTimeOffset until, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_console is null)
        {
            var left = until - time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, time, cancellationToken);
            }

            return;
        }

        await _console.Status().Spinner(Spinner.Known.Dots).StartAsync(E(activity), async context =>
        {
            for (var left = until - time.GetUtcNow(); left > TimeSpan.Zero; left = until - time.GetUtcNow())
            {
                context.Status($"{E(activity)} [grey]{Format.Countdown(left)}[/]");
                await Task.Delay(left < SpinnerTick ? left : SpinnerTick, time, cancellationToken);
            }
        });
    }

    public override void CodeIssued(OnDeviceCodeArguments code, string? hint)
    {
        var complete = code.VerificationUriComplete;
        var also = complete is null ? string.Empty : $" (or open {E(complete.ToString())})";
        var then = hint is null ? string.Empty : " " + E(hint);
        Out($"To sign in, open [blue]{E(code.VerificationUri.ToString())}[/] and enter the code [bold yellow]{E(code.UserCode)}[/]{also}.{then}");
        if (_console is not null)
        {
            lock (_gate)
            {
                _out.Write(QrCode.Render((complete ?? code.VerificationUri).ToString()));
                _out.Flush();
            }
        }
    }

    public override async Task WaitForApprovalAsync(Task signIn, DateTimeOffset expiresAt, TimeProvider time)
    {
        if (_console is null)
        {
            Out($"Waiting for approval; the code expires in {Format.Duration(expiresAt - time.GetUtcNow())}.");
            await signIn;
            return;
        }

        await _console.Status().Spinner(Spinner.Known.Dots).StartAsync("Waiting for approval", async context =>
        {
            while (!signIn.IsCompleted)
            {
                context.Status($"Waiting for approval [grey]({Format.Countdown(expiresAt - time.GetUtcNow())} left)[/]");
                await Task.WhenAny(signIn, Task.Delay(SpinnerTick, time));
            }
        });
        await signIn;
    }

    public override void SignedIn(SessionReport report)
    {
        if (_story)
        {
            return;
        }

        var account = report.Account is null ? string.Empty : $" ({E(report.Account)})";
        var expiry = report.AccessTokenExpiresAt is { } expires
            ? $"; the access token expires at {Format.Instant(expires)} ({Format.Relative(expires, DateTimeOffset.UtcNow)})"
            : string.Empty;
        var bound = report.DPoPThumbprint is { } jkt ? $"; the tokens are DPoP-bound (jkt {E(jkt)})" : string.Empty;
        Out($"[green]Signed in[/] to {E(report.Authority)} as client {E(report.ClientId)}{account}; scope: {E(report.Scope ?? "(none)")}{expiry}{bound}.");
    }

    public override void Refreshed(RefreshedEventArgs arguments)
    {
        if (_story)
        {
            return;
        }

        var rotated = arguments.RefreshTokenRotated ? "; the refresh token was rotated" : string.Empty;
        Err($"Refreshed the access token; it expires at {Format.Instant(arguments.ExpiresAt)}{rotated}.");
    }

    public override void Unauthorized(SignInRequiredEventArgs arguments)
    {
        // The command that hit it explains it, with what to do (run login) and its exit code.
    }

    public override void SignedOut(RevocationResult revocation, bool hadTokens) => Out(revocation switch
    {
        RevocationResult.Revoked => "[green]Signed out[/]: the stored tokens were deleted and the server revoked the refresh token.",
        RevocationResult.NotSupported => "[green]Signed out[/]: the stored tokens were deleted (the server has no revocation endpoint).",
        RevocationResult.Failed => "[yellow]Signed out[/]: the stored tokens were deleted, but the server did not confirm the revocation (--verbose shows why).",
        _ when hadTokens => "[green]Signed out[/]: the stored tokens were deleted (there was no refresh token to revoke).",
        _ => "Not signed in: there were no stored tokens to delete.",
    });

    public override void Response(Uri requestUri, ApiResponse response)
    {
        if (!response.IsSuccess)
        {
            Err($"[red]GET {E(requestUri.ToString())} answered {response.StatusCode} {E(response.ReasonPhrase ?? string.Empty)}[/]");
        }

        lock (_gate)
        {
            _out.Write(response.Body);
            if (response.Body.Length > 0 && !response.Body.EndsWith('\n'))
            {
                _out.WriteLine();
            }

            _out.Flush();
        }
    }

    public override void Status(SessionReport report)
    {
        var now = DateTimeOffset.UtcNow;
        if (!report.SignedIn)
        {
            Out($"[yellow]Not signed in[/] to {E(report.Authority)} as client {E(report.ClientId)}: {E(report.Problem ?? "no tokens are stored")}.");
            Out($"Run: {E(report.LoginCommand ?? CommandName.With("login"))}");
            return;
        }

        Out($"[green]Signed in[/] to {E(report.Authority)} as client {E(report.ClientId)}.");
        if (report.Account is not null)
        {
            Out($"  Account:       {E(report.Account)}");
        }

        Out($"  Scope:         {E(report.Scope ?? "(none)")}");
        if (report.AccessTokenExpiresAt is { } expires)
        {
            Out(expires > now
                ? $"  Access token:  expires at {Format.Instant(expires)} ({Format.Relative(expires, now)})"
                : $"  Access token:  expired at {Format.Instant(expires)} ({Format.Relative(expires, now)}); the next call refreshes it");
        }

        Out(report.HasRefreshToken
            ? report.RefreshTokenExpiresAt is { } refreshExpires
                ? $"  Refresh token: stored, expires at {Format.Instant(refreshExpires)} ({Format.Relative(refreshExpires, now)})"
                : "  Refresh token: stored (no expiry given)"
            : "  Refresh token: none; a new sign-in is needed once the access token expires");
        // One line: the credential store, or the file and why not the credential store.
        if (report.Storage is not null)
        {
            Out($"  Stored in:     {E(report.Storage.ToString())}");
        }
        else if (report.StoreDirectory is not null)
        {
            Out($"  Stored in:     {E(report.StoreDirectory)}");
        }

        // Only the key's public thumbprint, never the key.
        Out(report.DPoPThumbprint is { } jkt
            ? report.DPoPRequested
                ? $"  Tokens:        DPoP-bound (jkt {E(jkt)}): each request carries a proof signed with the stored key"
                : $"  Tokens:        DPoP-bound (jkt {E(jkt)}), but DPoP is off for this command, so call cannot use them: pass --dpop, or sign in again without it"
            : report.DPoPRequested
                ? $"  Tokens:        Bearer; DPoP is on, and the next sign-in ({E(CommandName.With("login"))}) makes DPoP-bound ones"
                : "  Tokens:        Bearer");
    }

    public override void Error(string code, string message, int exitCode) => Err($"[red]{E(message)}[/]");

    public override void Warning(string message) => Err($"[yellow]Warning:[/] {E(message)}");

    public override void Remembered(string file) =>
        Out($"call, status and logout now use this server and client without options (remembered in {E(file)}).");

    public override void BrowserOpened(Uri url) =>
        Out($"Opened [blue]{E(url.ToString())}[/] in your browser; check that it shows the same code.");

    public override void AuthorizationUrl(Uri url) =>
        Out($"To sign in with your browser, open [blue]{E(url.AbsoluteUri)}[/] if it does not open by itself.");

    public override void SignInPageOpened(Uri url) =>
        Out("Opened the sign-in page in your browser; approve the request there.");

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });

        // Let the terminal wrap long lines: a URL broken by inserted line breaks is no longer clickable.
        console.Profile.Width = 1000;
        return console;
    }

    private static string E(string value) => Markup.Escape(value);

    private void Out(string markup) => Write(_console, _out, markup);

    private void Err(string markup) => Write(_errorConsole, _error, markup);

    private void Write(IAnsiConsole? console, TextWriter writer, string markup)
    {
        lock (_gate)
        {
            if (console is not null)
            {
                console.MarkupLine(markup);
            }
            else
            {
                writer.WriteLine(Markup.Remove(markup));
                writer.Flush();
            }
        }
    }
}
