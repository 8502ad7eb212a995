using System.Text.RegularExpressions;
using ApiClient.Output;
using AuthHandler;
using Microsoft.Extensions.Options;

namespace ApiClient.Cli;

/// <summary>
/// Turns what went wrong into one line and an exit code, in the terms of this command line
/// (<c>--authority</c>, <c>AUTHHANDLER_CLIENT_ID</c>), never the library's option names or exception
/// types. The library's exception messages never contain a token, code or secret (its invariant 8),
/// so they can be shown.
/// </summary>
internal static partial class Failures
{
    /// <summary>The library's options that this command line sets, by the option that sets them.</summary>
    private static readonly (string Property, string Option)[] OptionNames =
    [
        ("Authority", "--authority"),
        ("TokenEndpoint", "--token-endpoint"),
        ("DeviceAuthorizationEndpoint", "--device-endpoint"),
        ("RevocationEndpoint", "--revocation-endpoint"),
        ("ClientSecret", "--client-secret"),
        ("ClientId", "--client-id"),
        ("Scope", "--scope"),
        ("StorageDirectory", "--store"),
        ("the client's BaseAddress", "the URL"),
    ];

    public static int Report(Exception exception, Reporter reporter, ServerSettings? server, CancellationToken cancellationToken)
    {
        var (code, message, exitCode) = exception switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested =>
                ("cancelled", "Cancelled.", ExitCodes.Cancelled),
            OperationCanceledException ex =>
                ("request_failed", $"The request timed out: {ex.Message}", ExitCodes.Failure),
            DeviceAuthorizationException { Failure: DeviceAuthorizationFailure.AccessDenied } =>
                ("access_denied", "The sign-in was declined at the authorization server; no tokens were stored.", ExitCodes.AccessDenied),
            DeviceAuthorizationException { Failure: DeviceAuthorizationFailure.Expired } =>
                ("expired_token", $"The sign-in code expired before it was approved. Run {LoginCommand(server)} again for a new code.", ExitCodes.CodeExpired),
            DeviceAuthorizationException { Failure: DeviceAuthorizationFailure.Unavailable } ex =>
                ("sign_in_failed", $"The sign-in failed: {ex.Message} {CheckAuthority}", ExitCodes.Failure),
            DeviceAuthorizationException ex =>
                ("sign_in_failed", $"The sign-in failed: {ex.Message}", ExitCodes.Failure),
            BrowserSignInException { Failure: BrowserSignInFailure.AccessDenied } =>
                ("access_denied", "The sign-in was declined in the browser; no tokens were stored.", ExitCodes.AccessDenied),
            BrowserSignInException { Failure: BrowserSignInFailure.TimedOut } =>
                ("timed_out", $"The browser sign-in was not completed in time; no tokens were stored. Run {LoginCommand(server)} again.", ExitCodes.CodeExpired),
            BrowserSignInException { Failure: BrowserSignInFailure.NotSupported } ex =>
                ("browser_not_supported", $"The browser sign-in cannot be used: {ex.Message} Sign in with --device-code instead.", ExitCodes.Failure),
            BrowserSignInException { Failure: BrowserSignInFailure.Unavailable } ex =>
                ("sign_in_failed", $"The sign-in failed: {ex.Message} {CheckAuthority}", ExitCodes.Failure),
            BrowserSignInException ex =>
                ("sign_in_failed", $"The browser sign-in failed: {ex.Message}", ExitCodes.Failure),
            SignInRequiredException ex =>
                ("sign_in_required", SignInRequired(ex.Reason, server), ExitCodes.SignInRequired),
            TokenEndpointException { Failure: TokenEndpointFailure.ClientConfiguration } ex =>
                ("client_configuration", ex.Message, ExitCodes.Failure),
            TokenEndpointException ex =>
                ("token_endpoint_unavailable", $"{ex.Message} The stored tokens are kept; try again later.", ExitCodes.Failure),
            DiscoveryException ex =>
                ("discovery_failed", $"{ex.Message} {CheckAuthority}", ExitCodes.Failure),
            OptionsValidationException ex =>
                ("invalid_configuration", string.Join(" ", ex.Failures.Select(InCommandLineTerms)), ExitCodes.Failure),
            TokenStoreException ex =>
                ("token_store_error", ex.Message, ExitCodes.Failure),
            HttpRequestException ex =>
                ("request_failed", $"The request failed: {ex.Message}", ExitCodes.Failure),
            _ =>
                ("unexpected_error", $"Unexpected error: {exception.Message} (--verbose shows the library's log)", ExitCodes.Failure),
        };

        reporter.Error(code, message, exitCode);
        return exitCode;
    }

    private const string CheckAuthority =
        "Check --authority (the issuer URL, whose /.well-known/ discovery document names the endpoints), or give --token-endpoint and --device-endpoint for a server without one.";

    /// <summary>The one-line instruction for exit code 2.</summary>
    public static string SignInRequired(SignInRequiredReason? reason, ServerSettings? server) =>
        $"Sign-in required: {Reporter.Describe(reason)}. Run: {LoginCommand(server)}";

    private static string LoginCommand(ServerSettings? server) =>
        server?.LoginCommand() ?? CommandName.With("login --authority URL --client-id ID");

    /// <summary>"DeviceAuthOptions for HTTP client 'ProtectedApi': Authority 'x' must …" → "--authority 'x' must …".</summary>
    private static string InCommandLineTerms(string failure)
    {
        var message = OptionsPrefix().Replace(failure, string.Empty);
        foreach (var (property, option) in OptionNames)
        {
            // Whole words only: ClientSecret, not the ClientSecret in ClientSecretBasic.
            message = Regex.Replace(message, $@"\b{Regex.Escape(property)}\b", option, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return message.Length > 0 ? char.ToUpperInvariant(message[0]) + message[1..] : message;
    }

    [GeneratedRegex("^DeviceAuthOptions for HTTP client '[^']*': ")]
    private static partial Regex OptionsPrefix();
}
