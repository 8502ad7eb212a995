using ApiClient.Output;
using AuthHandler;
using Microsoft.Extensions.Options;

namespace ApiClient.Cli;

/// <summary>
/// Turns what went wrong into one line and an exit code. The library's exception messages never
/// contain a token, code or secret (its invariant 8), so they can be shown as they are.
/// </summary>
internal static class Failures
{
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
                ("expired_token", "The sign-in code expired before it was approved; run login again for a new code.", ExitCodes.CodeExpired),
            DeviceAuthorizationException ex =>
                ("sign_in_failed", $"The sign-in failed: {ex.Message}", ExitCodes.Failure),
            SignInRequiredException ex =>
                ("sign_in_required", SignInRequired(ex.Reason, server), ExitCodes.SignInRequired),
            TokenEndpointException { Failure: TokenEndpointFailure.ClientConfiguration } ex =>
                ("client_configuration", ex.Message, ExitCodes.Failure),
            TokenEndpointException ex =>
                ("token_endpoint_unavailable", $"{ex.Message} The stored tokens are kept; try again later.", ExitCodes.Failure),
            DiscoveryException ex =>
                ("discovery_failed", ex.Message, ExitCodes.Failure),
            OptionsValidationException ex =>
                ("invalid_configuration", string.Join(" ", ex.Failures), ExitCodes.Failure),
            TokenStoreException ex =>
                ("token_store_error", ex.Message, ExitCodes.Failure),
            HttpRequestException ex =>
                ("request_failed", $"The request failed: {ex.Message}", ExitCodes.Failure),
            _ =>
                ("unexpected_error", $"Unexpected error ({exception.GetType().Name}): {exception.Message}", ExitCodes.Failure),
        };

        reporter.Error(code, message, exitCode);
        return exitCode;
    }

    /// <summary>The one-line instruction for exit code 2.</summary>
    public static string SignInRequired(SignInRequiredReason? reason, ServerSettings? server) =>
        $"Sign-in required: {Reporter.Describe(reason)}. Run: {server?.LoginCommand() ?? "ApiClient login --authority URL --client-id ID"}";
}
