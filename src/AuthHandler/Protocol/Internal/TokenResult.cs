using System.Net;

namespace AuthHandler.Protocol.Internal;

/// <summary>What an answer of the token endpoint means for the one who asked.</summary>
internal enum TokenResultKind
{
    /// <summary>Usable tokens.</summary>
    Issued,

    /// <summary>The grant was rejected (<c>invalid_grant</c>, RFC 6749 §5.2): the only answer that signs out.</summary>
    Rejected,

    /// <summary>The client itself was rejected (RFC 6749 §5.2): no retry and no sign-in can fix it.</summary>
    ClientMisconfigured,

    /// <summary>No usable answer (unreachable, a 5xx, a proxy's page, another OAuth error): try again later.</summary>
    Transient,
}

/// <summary>
/// One answer of the token endpoint, classified in one place (<see cref="FromError"/> and
/// <see cref="TokenEndpointClient"/>): transport failures, statuses and OAuth error codes all end
/// up as one of four kinds. Everything but <see cref="TokenResultKind.Issued"/> and
/// <see cref="TokenResultKind.Rejected"/> carries the typed exception a caller gets.
/// </summary>
internal sealed class TokenResult
{
    private TokenResult(TokenResultKind kind, TokenResponse? tokens, OAuthError? error, TokenEndpointException? failure, HttpStatusCode? statusCode)
    {
        Kind = kind;
        Tokens = tokens;
        Error = error;
        Failure = failure;
        StatusCode = statusCode;
    }

    public TokenResultKind Kind { get; }

    public TokenResponse? Tokens { get; }

    /// <summary>The OAuth error, sanitised, when the server sent one (the device flow reads its own codes from it).</summary>
    public OAuthError? Error { get; }

    /// <summary>What the caller gets for a <see cref="TokenResultKind.ClientMisconfigured"/> or <see cref="TokenResultKind.Transient"/> result.</summary>
    public TokenEndpointException? Failure { get; }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>
    /// The refresh token of an answer that is unusable otherwise: the server issued it, so the one
    /// it replaces may be spent (RFC 9700 §4.14) and it must be kept.
    /// </summary>
    public string? IssuedRefreshToken { get; private init; }

    /// <summary>
    /// Whether the server may have acted on the request though no usable answer came back: a
    /// timeout, a connection reset after the request went out, a 500/502/504, a 2xx that could not
    /// be read. For a refresh this means the refresh token may be spent (RFC 9700 §4.14). False
    /// when the request cannot have been processed: never sent, or a 429/503, or an OAuth error.
    /// </summary>
    public bool AnswerLost { get; private init; }

    /// <summary>
    /// Whether asking again gets the same answer: the server and the client disagree about DPoP
    /// (<see cref="WrongTokenType"/>). A sign-in stops; a refresh keeps the stored tokens.
    /// </summary>
    public bool Final { get; private init; }

    public static TokenResult Issued(TokenResponse tokens, HttpStatusCode statusCode) =>
        new(TokenResultKind.Issued, tokens, null, null, statusCode);

    /// <summary>A failure with no OAuth meaning: transient, or invalid (still transient for the session).</summary>
    public static TokenResult Failed(TokenEndpointException failure, string? issuedRefreshToken = null, bool answerLost = false) =>
        new(TokenResultKind.Transient, null, null, failure, failure.StatusCode) { IssuedRefreshToken = issuedRefreshToken, AnswerLost = answerLost };

    /// <summary>Tokens of a type that contradicts the request (RFC 9449 §5): unusable, final, their refresh token kept.</summary>
    public static TokenResult WrongTokenType(TokenEndpointException failure, string? issuedRefreshToken) =>
        new(TokenResultKind.Transient, null, null, failure, failure.StatusCode) { IssuedRefreshToken = issuedRefreshToken, Final = true };

    /// <summary>
    /// Classifies an OAuth error by its code, not the HTTP status: servers send
    /// <c>invalid_grant</c> with 400, 401 or 403, and some send errors with 200.
    /// </summary>
    public static TokenResult FromError(OAuthError error, HttpStatusCode statusCode, string clientName)
    {
        if (error.IsGrantRejection)
        {
            return new TokenResult(TokenResultKind.Rejected, null, error, null, statusCode);
        }

        if (error.IsClientConfiguration)
        {
            return new TokenResult(TokenResultKind.ClientMisconfigured, null, error, new TokenEndpointException(
                TokenEndpointFailure.ClientConfiguration,
                $"The token endpoint rejected the client '{clientName}' with {error.Code}{error.DescriptionSuffix}. Check ClientId, ClientSecret, ClientAuthentication and Scope; the user stays signed in.",
                error.Code,
                statusCode), statusCode);
        }

        return new TokenResult(TokenResultKind.Transient, null, error, new TokenEndpointException(
            TokenEndpointFailure.Transient,
            $"The token endpoint answered {error.Code}{error.DescriptionSuffix}; the tokens are kept.",
            error.Code,
            statusCode), statusCode);
    }

    public override string ToString() => $"TokenResult {{ Kind = {Kind}, Error = {Error?.Code}, StatusCode = {(int?)StatusCode}, AnswerLost = {AnswerLost} }}";
}
