namespace AuthHandler;

/// <summary>How the client authenticates to the token endpoint (RFC 6749 §2.3).</summary>
public enum ClientAuthenticationMethod
{
    /// <summary>
    /// Choose from the options: <see cref="ClientSecretBasic"/> when a client secret is set,
    /// otherwise <see cref="None"/>.
    /// </summary>
    Automatic,

    /// <summary>A public client: <c>client_id</c> in the request body, no secret.</summary>
    None,

    /// <summary>
    /// HTTP Basic authentication with the client id and secret, each form-urlencoded first
    /// (RFC 6749 §2.3.1).
    /// </summary>
    ClientSecretBasic,

    /// <summary><c>client_id</c> and <c>client_secret</c> in the request body (RFC 6749 §2.3.1).</summary>
    ClientSecretPost,
}
