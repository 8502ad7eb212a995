using System.Net;
using System.Text;
using AuthHandler.Device.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// What <see cref="TokenEndpointClient"/> decides with DPoP (RFC 9449 §5, §8): the token type
/// against the request, the one nonce round, the nonces remembered. The wire is a scripted
/// handler below the real <see cref="BackchannelDPoPHandler"/>; it records what it received.
/// </summary>
public sealed class TokenEndpointClientDPoPTests
{
    private static readonly Uri Endpoint = new("https://as.example/token");

    private readonly ObservableTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ScriptedHandler _wire = new();
    private readonly DPoPContext _dpop;

    public TokenEndpointClientDPoPTests() => _dpop = new DPoPContext(enabled: true, new DPoPNonceCache(), _time);

    [Theory]
    [InlineData("Bearer")]
    [InlineData("bearer")]
    [InlineData(null)]
    public async Task PostAsync_ProofAnsweredWithBearerTokens_IsAFinalInvalidResponseThatKeepsTheIssuedRefreshToken(string? tokenType)
    {
        _wire.Answer(HttpStatusCode.OK, Tokens(tokenType));

        var result = await Client().RefreshAsync(Endpoint, "rt-1", _dpop.StartSignIn().Writer, TestContext.Current.CancellationToken);

        Assert.Equal(TokenResultKind.Transient, result.Kind);
        Assert.True(result.Final);
        Assert.Equal(TokenEndpointFailure.InvalidResponse, result.Failure!.Failure);
        Assert.Contains("ignored the DPoP proof", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal("rt-2", result.IssuedRefreshToken);
        Assert.False(result.AnswerLost);
    }

    [Fact]
    public async Task PostAsync_NoProofAnsweredWithDPoPTokens_IsAFinalInvalidResponseNamingDPoPEnabled()
    {
        _wire.Answer(HttpStatusCode.OK, Tokens("DPoP"));

        var result = await Client().RefreshAsync(Endpoint, "rt-1", proof: null, TestContext.Current.CancellationToken);

        Assert.True(result.Final);
        Assert.Equal(TokenEndpointFailure.InvalidResponse, result.Failure!.Failure);
        Assert.Contains("DPoP.Enabled", result.Failure.Message, StringComparison.Ordinal);
        Assert.Null(Assert.Single(_wire.Received).Proof);
    }

    [Fact]
    public async Task PostAsync_ProofAnsweredWithDPoPTokens_IsIssuedAsDPoP()
    {
        _wire.Answer(HttpStatusCode.OK, Tokens("dpop"));

        var result = await Client().RefreshAsync(Endpoint, "rt-1", _dpop.StartSignIn().Writer, TestContext.Current.CancellationToken);

        Assert.Equal(TokenResultKind.Issued, result.Kind);
        Assert.Equal("DPoP", result.Tokens!.TokenType);
    }

    [Fact]
    public async Task PostAsync_UseDPoPNonce_SendsExactlyOnceMoreWithTheNonceAndANewJti()
    {
        _wire.Answer(HttpStatusCode.BadRequest, """{"error":"use_dpop_nonce"}""", nonce: "n-1");
        _wire.Answer(HttpStatusCode.OK, Tokens("DPoP"));
        var signIn = _dpop.StartSignIn();

        var result = await Client().RefreshAsync(Endpoint, "rt-1", signIn.Writer, TestContext.Current.CancellationToken);

        Assert.Equal(TokenResultKind.Issued, result.Kind);
        var proofs = await Task.WhenAll(_wire.Received.Select(r => DPoPProofVerifier.VerifyAsync(r.Proof!)));
        Assert.Equal(2, proofs.Length);
        Assert.Null(proofs[0].Claim("nonce"));
        Assert.Equal("n-1", proofs[1].Claim("nonce"));
        Assert.NotEqual(proofs[0].Claim("jti"), proofs[1].Claim("jti"));
        Assert.All(_wire.Received, r => Assert.Equal("refresh_token=rt-1", r.Body.Split('&').Single(p => p.StartsWith("refresh_token=", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task PostAsync_UseDPoPNonceTwice_IsATransientFailureWithTheCodeAfterTwoRequests()
    {
        _wire.Answer(HttpStatusCode.BadRequest, """{"error":"use_dpop_nonce"}""", nonce: "n-1");
        _wire.Answer(HttpStatusCode.BadRequest, """{"error":"use_dpop_nonce"}""", nonce: "n-2");

        var result = await Client().RefreshAsync(Endpoint, "rt-1", _dpop.StartSignIn().Writer, TestContext.Current.CancellationToken);

        Assert.Equal(TokenResultKind.Transient, result.Kind);
        Assert.Equal(TokenEndpointFailure.Transient, result.Failure!.Failure);
        Assert.Equal(DPoPErrorCodes.UseDPoPNonce, result.Failure.Error);
        Assert.Null(result.Error);
        Assert.False(result.Final);
        Assert.Equal(2, _wire.Received.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("has space")]
    public async Task PostAsync_UseDPoPNonceWithoutAValidNonce_IsATransientFailureAfterOneRequest(string? nonce)
    {
        _wire.Answer(HttpStatusCode.BadRequest, """{"error":"use_dpop_nonce"}""", nonce: nonce);

        var result = await Client().RefreshAsync(Endpoint, "rt-1", _dpop.StartSignIn().Writer, TestContext.Current.CancellationToken);

        Assert.Equal(TokenEndpointFailure.Transient, result.Failure!.Failure);
        Assert.Single(_wire.Received);
    }

    [Fact]
    public async Task PostAsync_NonceOnA200_TheNextProofToThatOriginCarriesIt()
    {
        _wire.Answer(HttpStatusCode.OK, Tokens("DPoP"), nonce: "n-200");
        _wire.Answer(HttpStatusCode.OK, Tokens("DPoP"));
        var writer = _dpop.StartSignIn().Writer;

        await Client().RefreshAsync(Endpoint, "rt-1", writer, TestContext.Current.CancellationToken);
        await Client().RefreshAsync(Endpoint, "rt-2", writer, TestContext.Current.CancellationToken);

        Assert.Equal("n-200", (await DPoPProofVerifier.VerifyAsync(_wire.Received[1].Proof!)).Claim("nonce"));
        Assert.Equal("n-200", _dpop.Nonces.Get(Endpoint));
    }

    [Fact]
    public async Task PostAsync_UseDPoPNonceWithoutAProof_IsNotSentAgain()
    {
        _wire.Answer(HttpStatusCode.BadRequest, """{"error":"use_dpop_nonce"}""", nonce: "n-1");

        var result = await Client().RefreshAsync(Endpoint, "rt-1", proof: null, TestContext.Current.CancellationToken);

        Assert.Equal(TokenResultKind.Transient, result.Kind);
        Assert.Single(_wire.Received);
    }

    private static string Tokens(string? tokenType) => tokenType is null
        ? """{"access_token":"at-2","expires_in":3600,"refresh_token":"rt-2"}"""
        : "{\"access_token\":\"at-2\",\"token_type\":\"" + tokenType + "\",\"expires_in\":3600,\"refresh_token\":\"rt-2\"}";

    private TokenEndpointClient Client() => new(
        new Factory(new BackchannelDPoPHandler { InnerHandler = _wire }),
        "api",
        new ClientCredentials("cli", null, ClientAuthenticationMethod.None),
        DeviceHeaderSet.Empty,
        TimeSpan.FromSeconds(10),
        _time,
        _dpop);

    private sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>Answers in order and records each request's body and DPoP header.</summary>
    private sealed class ScriptedHandler : HttpMessageHandler
    {
        private readonly Queue<(HttpStatusCode Status, string Body, string? Nonce)> _answers = new();

        public List<(string Body, string? Proof)> Received { get; } = [];

        public void Answer(HttpStatusCode status, string body, string? nonce = null) => _answers.Enqueue((status, body, nonce));

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var proof = request.Headers.TryGetValues("DPoP", out var values) ? Assert.Single(values) : null;
            Received.Add((await request.Content!.ReadAsStringAsync(cancellationToken), proof));
            var (status, body, nonce) = _answers.Dequeue();
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (nonce is not null)
            {
                response.Headers.TryAddWithoutValidation("DPoP-Nonce", nonce);
            }

            return response;
        }
    }
}
