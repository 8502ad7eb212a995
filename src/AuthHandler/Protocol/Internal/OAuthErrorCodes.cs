namespace AuthHandler.Protocol.Internal;

internal static class OAuthErrorCodes
{
    public const string InvalidGrant = "invalid_grant";
    public const string InvalidClient = "invalid_client";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidRequest = "invalid_request";
    public const string InvalidScope = "invalid_scope";

    // RFC 8628 §3.5
    public const string AuthorizationPending = "authorization_pending";
    public const string SlowDown = "slow_down";
    public const string AccessDenied = "access_denied";
    public const string ExpiredToken = "expired_token";
}
