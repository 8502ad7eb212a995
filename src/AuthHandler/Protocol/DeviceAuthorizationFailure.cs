namespace AuthHandler;

/// <summary>Why a device sign-in did not complete.</summary>
public enum DeviceAuthorizationFailure
{
    /// <summary>Not known: the default value, never reported by the library.</summary>
    Unknown,

    /// <summary>The user declined (<c>access_denied</c>, RFC 8628 §3.5).</summary>
    AccessDenied,

    /// <summary>The code expired before the user approved (<c>expired_token</c>, or the local deadline from <c>expires_in</c>).</summary>
    Expired,

    /// <summary>The server refused the request with another OAuth error (see <see cref="DeviceAuthorizationException.Error"/>).</summary>
    Rejected,

    /// <summary>The device authorization response lacked a required field or was not JSON.</summary>
    InvalidResponse,

    /// <summary>The authorization server could not be reached or its metadata could not be fetched.</summary>
    Unavailable,
}
