using System.Net;

namespace AuthHandler;

/// <summary>
/// The token endpoint did not issue tokens, for a reason other than rejecting the user's grant.
/// The stored tokens are kept and the user stays signed in.
/// </summary>
/// <remarks>
/// A rejected grant (<c>invalid_grant</c>) is not reported with this exception: it signs the
/// session out and raises the sign-in-required signal instead.
/// </remarks>
public sealed class TokenEndpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TokenEndpointException()
        : this(TokenEndpointFailure.Transient, "The token endpoint did not issue tokens.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened. Must not contain a token.</param>
    public TokenEndpointException(string message)
        : this(TokenEndpointFailure.Transient, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened. Must not contain a token.</param>
    /// <param name="innerException">The cause.</param>
    public TokenEndpointException(string message, Exception innerException)
        : this(TokenEndpointFailure.Transient, message, innerException: innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="failure">The kind of failure.</param>
    /// <param name="message">What happened. Must not contain a token.</param>
    /// <param name="error">The OAuth <c>error</c> code, when the server sent one.</param>
    /// <param name="statusCode">The HTTP status code, when the server answered.</param>
    /// <param name="innerException">The cause, if any.</param>
    public TokenEndpointException(
        TokenEndpointFailure failure,
        string message,
        string? error = null,
        HttpStatusCode? statusCode = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Error = error;
        StatusCode = statusCode;
    }

    /// <summary>Gets the kind of failure.</summary>
    public TokenEndpointFailure Failure { get; }

    /// <summary>Gets the OAuth <c>error</c> code the server sent, if any.</summary>
    public string? Error { get; }

    /// <summary>Gets the HTTP status code of the answer, if the server answered.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// Gets how long the server asked to wait before the next try (its <c>Retry-After</c>), when it
    /// said so. The back channel honours such a wait itself only up to
    /// <see cref="DeviceAuthOptions.BackchannelMaxRetryAfter"/>; a longer one ends the refresh at
    /// once with this exception.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// Gets a value indicating whether trying again later can succeed without changing anything
    /// (<see cref="TokenEndpointFailure.Transient"/> or <see cref="TokenEndpointFailure.InvalidResponse"/>).
    /// </summary>
    public bool IsTransient => Failure != TokenEndpointFailure.ClientConfiguration;
}
