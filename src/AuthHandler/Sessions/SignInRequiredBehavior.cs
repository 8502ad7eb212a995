namespace AuthHandler;

/// <summary>What a request gets when the session needs a new sign-in.</summary>
public enum SignInRequiredBehavior
{
    /// <summary>
    /// The request gets a 401 response: the API's own 401 when it answered one, otherwise a 401
    /// made locally without sending the request (its reason phrase says a sign-in is required).
    /// </summary>
    ReturnUnauthorizedResponse,

    /// <summary>The request throws <see cref="SignInRequiredException"/>.</summary>
    ThrowException,
}
