using AuthHandler.Http.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Diagnostics.Internal;

/// <summary>
/// Every log line the library writes. Event ids are stable. No token, code or secret is ever an
/// argument here: the only values are client names, counts, durations, OAuth error codes,
/// status codes and local file paths.
/// </summary>
internal static partial class Log
{
    public const string CategoryName = "AuthHandler";

    [LoggerMessage(1, LogLevel.Debug, "Refreshing the access token of client {ClientName}")]
    public static partial void RefreshStarted(ILogger logger, string clientName);

    [LoggerMessage(2, LogLevel.Information, "Refreshed the access token of client {ClientName}; it expires in {ExpiresInSeconds} s; refresh token rotated: {Rotated}")]
    public static partial void RefreshSucceeded(ILogger logger, string clientName, long expiresInSeconds, bool rotated);

    [LoggerMessage(3, LogLevel.Warning, "The authorization server rejected the refresh token of client {ClientName} ({Error}); the session is signed out")]
    public static partial void RefreshRejected(ILogger logger, string clientName, string error);

    [LoggerMessage(4, LogLevel.Warning, "Refreshing the access token of client {ClientName} failed ({Failure}, status {StatusCode}, error {Error}); the tokens are kept")]
    public static partial void RefreshFailed(ILogger logger, string clientName, TokenEndpointFailure failure, int? statusCode, string? error, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "The token endpoint rejected client {ClientName} itself ({Error}); check ClientId, ClientSecret, ClientAuthentication and Scope. The user stays signed in")]
    public static partial void ClientConfigurationError(ILogger logger, string clientName, string error);

    [LoggerMessage(6, LogLevel.Debug, "Client {ClientName} took tokens from the store that another session or process wrote")]
    public static partial void AdoptedStoredTokens(ILogger logger, string clientName);

    [LoggerMessage(7, LogLevel.Warning, "Client {ClientName} needs a new sign-in ({Reason})")]
    public static partial void SignInRequired(ILogger logger, string clientName, SignInRequiredReason reason);

    [LoggerMessage(8, LogLevel.Debug, "The API answered 401 to client {ClientName}; retrying once with a new access token")]
    public static partial void RetryingAfterUnauthorized(ILogger logger, string clientName);

    [LoggerMessage(9, LogLevel.Debug, "The API answered 401 with error {Error} to client {ClientName}; a new token would not help, so the request is not retried")]
    public static partial void NotRetriedChallenge(ILogger logger, string clientName, string error);

    [LoggerMessage(10, LogLevel.Warning, "The API answered 401 to client {ClientName} but the request body cannot be sent again ({ContentType}); returning the 401. Use buffered content (ByteArrayContent, StringContent, JsonContent) or set DeviceAuthRequestOptions.ContentCanBeResent")]
    public static partial void NotRetriedBody(ILogger logger, string clientName, string contentType);

    [LoggerMessage(11, LogLevel.Warning, "Client {ClientName} could not get a new token; using the current one, which expires in {RemainingSeconds} s")]
    public static partial void UsingCurrentToken(ILogger logger, string clientName, long remainingSeconds);

    [LoggerMessage(12, LogLevel.Error, "Client {ClientName} could not write its tokens to the store; they are kept in memory")]
    public static partial void StoreWriteFailed(ILogger logger, string clientName, Exception exception);

    [LoggerMessage(13, LogLevel.Error, "A handler of the sign-in-required signal of client {ClientName} threw")]
    public static partial void SignalHandlerFailed(ILogger logger, string clientName, Exception exception);

    [LoggerMessage(14, LogLevel.Debug, "A request of client {ClientName} joined a refresh already in flight")]
    public static partial void JoinedRefresh(ILogger logger, string clientName);

    [LoggerMessage(15, LogLevel.Error, "Client {ClientName} could not delete its rejected tokens from the store")]
    public static partial void StoreRemoveFailed(ILogger logger, string clientName, Exception exception);

    [LoggerMessage(16, LogLevel.Information, "Client {ClientName} started a device sign-in; the code expires in {ExpiresInSeconds} s, polling every {IntervalSeconds} s")]
    public static partial void DeviceCodeIssued(ILogger logger, string clientName, long expiresInSeconds, long intervalSeconds);

    [LoggerMessage(17, LogLevel.Warning, "Polling the token endpoint for client {ClientName} failed (status {StatusCode}); polling again in {WaitSeconds} s")]
    public static partial void DevicePollFailed(ILogger logger, string clientName, int? statusCode, long waitSeconds);

    [LoggerMessage(18, LogLevel.Information, "Client {ClientName} signed in")]
    public static partial void SignedIn(ILogger logger, string clientName);

    [LoggerMessage(19, LogLevel.Warning, "The device sign-in of client {ClientName} did not complete ({Failure}, error {Error})")]
    public static partial void SignInFailed(ILogger logger, string clientName, DeviceAuthorizationFailure failure, string? error);

    [LoggerMessage(20, LogLevel.Error, "The token store of client {ClientName} cannot be read; the session is signed out until a new sign-in replaces it")]
    public static partial void StoreUnreadable(ILogger logger, string clientName, Exception exception);

    [LoggerMessage(21, LogLevel.Warning, "Revoking the refresh token of client {ClientName} failed; it was deleted locally")]
    public static partial void RevocationFailed(ILogger logger, string clientName, Exception? exception);

    [LoggerMessage(22, LogLevel.Information, "Client {ClientName} signed out; revocation: {Result}")]
    public static partial void SignedOut(ILogger logger, string clientName, RevocationResult result);

    [LoggerMessage(23, LogLevel.Debug, "Client {ClientName} polls the token endpoint in {WaitSeconds} s")]
    public static partial void DevicePollWaiting(ILogger logger, string clientName, double waitSeconds);

    [LoggerMessage(24, LogLevel.Warning, "The token endpoint's answer to client {ClientName} was unusable but carried a new refresh token; it replaced the one just redeemed in the store")]
    public static partial void KeptIssuedRefreshToken(ILogger logger, string clientName);

    [LoggerMessage(25, LogLevel.Debug, "Client {ClientName} follows a {StatusCode} redirect; the next hop carries the token: {Authorized}")]
    public static partial void FollowingRedirect(ILogger logger, string clientName, int statusCode, bool authorized);

    [LoggerMessage(26, LogLevel.Warning, "Client {ClientName} did not follow a {StatusCode} redirect ({Reason}); returning it to the caller")]
    public static partial void RedirectNotFollowed(ILogger logger, string clientName, int statusCode, RedirectRefusal reason);

    // The device id is not a secret, but it identifies the device, so it is never an argument.
    [LoggerMessage(27, LogLevel.Warning, "The device id file {Path} was corrupted and now holds a new device id; the server sees this device as a new one")]
    public static partial void DeviceIdReplaced(ILogger logger, string path);

    [LoggerMessage(28, LogLevel.Warning, "The device id file {Path} cannot be read or written; this process uses a device id of its own until it exits")]
    public static partial void DeviceIdNotPersisted(ILogger logger, string path, Exception exception);

    [LoggerMessage(29, LogLevel.Warning, "The stored access token of client {ClientName} cannot be sent (not an RFC 6750 token, or not a Bearer token); it is treated as expired")]
    public static partial void StoredTokenUnusable(ILogger logger, string clientName);

    [LoggerMessage(30, LogLevel.Warning, "The answer to the refresh of client {ClientName} was lost ({Failure}, status {StatusCode}); the server may have redeemed the refresh token, so it is presented once more in {DelayMilliseconds} ms")]
    public static partial void RefreshAnswerLost(ILogger logger, string clientName, TokenEndpointFailure failure, int? statusCode, long delayMilliseconds);

    [LoggerMessage(31, LogLevel.Warning, "Client {ClientName} could not store the tokens it just received (attempt {Attempt}); it keeps the refresh lock and tries again in {DelayMilliseconds} ms")]
    public static partial void StoreWriteRetrying(ILogger logger, string clientName, int attempt, long delayMilliseconds, Exception exception);

    [LoggerMessage(32, LogLevel.Error, "Client {ClientName} could not store the tokens it received within {Seconds} s; it keeps using them and writes them at its next refresh, unless another holder has redeemed since")]
    public static partial void StoreWriteAbandoned(ILogger logger, string clientName, long seconds, Exception exception);

    [LoggerMessage(33, LogLevel.Warning, "The token store of client {ClientName} has lost its entry (no tokens and no sign-out recorded); the tokens this process holds were written back")]
    public static partial void StoreEntryRestored(ILogger logger, string clientName);

    [LoggerMessage(34, LogLevel.Warning, "Another holder was redeeming the stored refresh token of client {ClientName} and its answer never reached the store; waiting up to {WaitMilliseconds} ms for it to be written")]
    public static partial void WaitingForEarlierRedemption(ILogger logger, string clientName, long waitMilliseconds);

    [LoggerMessage(35, LogLevel.Warning, "Client {ClientName} could not store the tokens it received: another holder has taken the refresh lock since; it keeps using them and writes them at its next refresh, unless that holder has redeemed since")]
    public static partial void StoreWriteSuperseded(ILogger logger, string clientName);

    [LoggerMessage(36, LogLevel.Information, "Client {ClientName} stored the tokens that an earlier refresh could not store")]
    public static partial void StoredUnwrittenTokens(ILogger logger, string clientName);

    // DPoP on API requests (RFC 9449 §7, §9). Neither the key, the proof nor the nonce is logged.
    [LoggerMessage(37, LogLevel.Debug, "The API answered 401 use_dpop_nonce to client {ClientName}; sending the request once more with a new proof that carries the API's nonce, with the same token")]
    public static partial void ResendingWithDPoPNonce(ILogger logger, string clientName);

    [LoggerMessage(38, LogLevel.Debug, "The API answered 401 use_dpop_nonce to client {ClientName} and the request is not sent again: {Reason}")]
    public static partial void DPoPNonceNotResent(ILogger logger, string clientName, string reason);

    [LoggerMessage(39, LogLevel.Warning, "The DPoP key bound to the tokens of client {ClientName} cannot be used ({Error}); the request is not sent, as the tokens cannot be sent without a valid proof")]
    public static partial void DPoPTokenNotSent(ILogger logger, string clientName, AuthHandler.Protocol.DPoP.Internal.DPoPKeyImportError error);

    // Ids 40-49 are free; the events below are numbered from 50 up.
    [LoggerMessage(57, LogLevel.Information, "Client {ClientName} opened the browser for sign-in and waits for its redirect on {RedirectUri} for up to {TimeoutSeconds} s")]
    public static partial void BrowserSignInWaiting(ILogger logger, string clientName, Uri redirectUri, long timeoutSeconds);

    [LoggerMessage(58, LogLevel.Warning, "The browser sign-in of client {ClientName} did not complete ({Failure}, error {Error})")]
    public static partial void BrowserSignInFailed(ILogger logger, string clientName, BrowserSignInFailure failure, string? error);

    [LoggerMessage(59, LogLevel.Information, "Client {ClientName} signs in with the device code rather than the browser: {Reason}")]
    public static partial void DeviceCodeChosen(ILogger logger, string clientName, string reason);

    [LoggerMessage(60, LogLevel.Warning, "Client {ClientName} could not open the browser for sign-in; it signs in with the device code instead")]
    public static partial void BrowserFallback(ILogger logger, string clientName);

    [LoggerMessage(61, LogLevel.Warning, "The browser launcher of client {ClientName} failed")]
    public static partial void BrowserLaunchFailed(ILogger logger, string clientName, Exception exception);

    [LoggerMessage(50, LogLevel.Information, "Client {ClientName} sends its token and device headers to {Origin} only: the origin of its first request, as no AllowedOrigins are set")]
    public static partial void OriginPinned(ILogger logger, string clientName, string origin);

    [LoggerMessage(51, LogLevel.Warning, "Client {ClientName} sent a request to {Origin} without its token or device headers: not an allowed origin (the origin is the first request's, no AllowedOrigins are set: {Pinned}). Later requests to other origins log at Debug")]
    public static partial void FirstOriginRefused(ILogger logger, string clientName, string origin, bool pinned);

    [LoggerMessage(52, LogLevel.Debug, "Client {ClientName} sent a request to {Origin} without its token or device headers: not an allowed origin")]
    public static partial void OriginRefused(ILogger logger, string clientName, string origin);

    [LoggerMessage(53, LogLevel.Warning, "The tokens of client {ClientName} were moved into the operating system's credential store at {MovedAt:O} by a process that can reach it; this process keeps its tokens in the file and cannot reach the credential store, so it needs a new sign-in (or run it where the credential store is available, e.g. in the desktop session)")]
    public static partial void TokensMovedToCredentialStore(ILogger logger, string clientName, DateTimeOffset movedAt);

    [LoggerMessage(54, LogLevel.Warning, "The stored DPoP key of client {ClientName} cannot be used ({Reason}); its tokens are bound to it (RFC 9449), so nothing is sent and a new sign-in is required. The entry is left for the sign-in to replace")]
    public static partial void DPoPKeyUnusable(ILogger logger, string clientName, DPoPKeyImportError reason);

    [LoggerMessage(55, LogLevel.Warning, "The stored tokens of client {ClientName} are DPoP-bound (token type {TokenType}, key stored: {HasKey}) but DPoP.Enabled is off; they are not sent as Bearer tokens, and a new sign-in is required (or turn DPoP.Enabled on)")]
    public static partial void DPoPTokensWhileDisabled(ILogger logger, string clientName, string tokenType, bool hasKey);

    [LoggerMessage(56, LogLevel.Warning, "The stored tokens of client {ClientName} (token type {TokenType}) have no DPoP key but DPoP.Enabled is on: they were issued without DPoP, or the key was lost, so they cannot be refreshed with a proof; a new sign-in is required")]
    public static partial void DPoPTokensWithoutKey(ILogger logger, string clientName, string tokenType);
}
