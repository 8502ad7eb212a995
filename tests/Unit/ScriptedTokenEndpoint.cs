using System.Net;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// The token endpoint as <see cref="AuthHandler.Sessions.Internal.TokenRedeemer"/> sees it: answers
/// taken in order from a script, and every refresh token presented recorded with the (fake) time
/// it was presented at.
/// </summary>
internal sealed class ScriptedTokenEndpoint(TimeProvider time)
{
    public static readonly Uri Endpoint = new("https://as.example/token");

    private readonly Queue<TokenResult> _answers = new();
    private readonly List<Presentation> _presented = [];

    /// <summary>What finding the token endpoint throws while set.</summary>
    public DiscoveryException? DiscoveryFailure { get; set; }

    /// <summary>Runs as a refresh token is presented, before the answer (the server acting meanwhile).</summary>
    public Action<string>? OnPresented { get; set; }

    public IReadOnlyList<Presentation> Presented
    {
        get
        {
            lock (_presented)
            {
                return [.. _presented];
            }
        }
    }

    public static TokenResult Issued(string accessToken, string? refreshToken) =>
        TokenResult.Issued(new TokenResponse { AccessToken = accessToken, ExpiresIn = TimeSpan.FromHours(1), RefreshToken = refreshToken }, HttpStatusCode.OK);

    public static TokenResult Error(string code, HttpStatusCode status = HttpStatusCode.BadRequest) =>
        TokenResult.FromError(OAuthError.FromServer(code, null)!, status, "api");

    /// <summary>A 504 from a proxy: the server may have redeemed the token, its answer is lost.</summary>
    public static TokenResult Lost()
    {
        var failure = new TokenEndpointException(TokenEndpointFailure.Transient, "The token endpoint answered 504 without an OAuth error.", statusCode: HttpStatusCode.GatewayTimeout);
        return TokenResult.Failed(failure, answerLost: LostAnswer.Of(failure));
    }

    /// <summary>A 503 with Retry-After: the request was not processed.</summary>
    public static TokenResult Unavailable(TimeSpan retryAfter)
    {
        var failure = new TokenEndpointException(TokenEndpointFailure.Transient, "The token endpoint answered 503 without an OAuth error.", statusCode: HttpStatusCode.ServiceUnavailable) { RetryAfter = retryAfter };
        return TokenResult.Failed(failure, answerLost: LostAnswer.Of(failure));
    }

    /// <summary>A 200 whose access token cannot be used (not a b64token), carrying a new refresh token.</summary>
    public static TokenResult Unusable(string issuedRefreshToken) => TokenResult.Failed(
        new TokenEndpointException(TokenEndpointFailure.InvalidResponse, "The token endpoint answered 200 but the access token is not a b64token.", statusCode: HttpStatusCode.OK),
        issuedRefreshToken);

    public ScriptedTokenEndpoint Answer(params TokenResult[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }

        return this;
    }

    public ValueTask<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken) =>
        DiscoveryFailure is { } failure ? ValueTask.FromException<Uri>(failure) : ValueTask.FromResult(Endpoint);

    public Task<TokenResult> RefreshAsync(Uri tokenEndpoint, string refreshToken, DPoPProofWriter? proof, CancellationToken cancellationToken)
    {
        lock (_presented)
        {
            _presented.Add(new Presentation(tokenEndpoint, refreshToken, time.GetUtcNow(), proof));
        }

        OnPresented?.Invoke(refreshToken);
        return Task.FromResult(_answers.TryDequeue(out var answer) ? answer : throw new InvalidOperationException("The script has no more answers."));
    }

    internal sealed record Presentation(Uri Endpoint, string RefreshToken, DateTimeOffset At, DPoPProofWriter? Proof = null);
}
