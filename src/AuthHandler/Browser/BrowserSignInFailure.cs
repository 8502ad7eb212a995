namespace AuthHandler;

/// <summary>Why a browser sign-in did not complete.</summary>
public enum BrowserSignInFailure
{
    /// <summary>Not known: the default value, never reported by the library.</summary>
    Unknown,

    /// <summary>The user declined (<c>error=access_denied</c> on the redirect).</summary>
    AccessDenied,

    /// <summary>The authorization server answered the redirect with another OAuth error (see <see cref="BrowserSignInException.Error"/>).</summary>
    AuthorizationError,

    /// <summary>The redirect's <c>state</c> was missing or not the one this sign-in sent: not an answer to it.</summary>
    StateMismatch,

    /// <summary>The redirect carried neither a single <c>code</c> nor an error.</summary>
    MissingCode,

    /// <summary>The redirect's <c>iss</c> (RFC 9207) was not the authority's, or was missing while the server advertises it.</summary>
    IssuerMismatch,

    /// <summary>The ID token had no <c>nonce</c>, or not the one this sign-in sent (OpenID Connect, with the <c>openid</c> scope).</summary>
    NonceMismatch,

    /// <summary>No redirect reached the listener within <see cref="BrowserSignInOptions.Timeout"/>.</summary>
    TimedOut,

    /// <summary>The browser could not be opened (the launcher failed or returned <see langword="false"/>).</summary>
    BrowserNotOpened,

    /// <summary>
    /// The authorization server does not support the flow as this client is set up: no
    /// authorization endpoint, or its <c>code_challenge_methods_supported</c> lacks <c>S256</c>;
    /// with DPoP, it accepts no ES256 proof or answered with a bearer token; without DPoP, it
    /// answered with a DPoP-bound token.
    /// </summary>
    NotSupported,

    /// <summary>The token endpoint refused the code with an OAuth error (see <see cref="BrowserSignInException.Error"/>).</summary>
    TokenRejected,

    /// <summary>The authorization server could not be reached, its answer was not usable, or no loopback port could be opened.</summary>
    Unavailable,
}
