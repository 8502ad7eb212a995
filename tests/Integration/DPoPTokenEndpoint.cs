using System.Globalization;
using System.Text.Json;
using AuthHandler.Tests.Unit;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// A DPoP-enforcing token endpoint (RFC 9449 §4.3, §5, §8) on a WireMock server: every request's
/// <c>DPoP</c> proof is verified with a real JWS validation over its embedded <c>jwk</c>
/// (<see cref="DPoPProofVerifier"/>), its <c>typ</c>, <c>htm</c>, <c>htu</c>, <c>iat</c> (within a minute
/// of the server's clock) and a <c>jti</c> never seen before; a failure is 400
/// <c>invalid_dpop_proof</c>. The device-code grant binds the grant to the proof's key thumbprint
/// (<c>cnf.jkt</c>); a refresh whose proof key differs is refused. Generation n is
/// <c>at-n-SECRET</c> / <c>rt-n-SECRET</c>; each refresh rotates.
/// </summary>
internal sealed class DPoPTokenEndpoint
{
    private readonly Lock _gate = new();
    private readonly List<Received> _received = [];
    private readonly HashSet<string> _seenJti = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _boundRefreshTokens = new(StringComparer.Ordinal);
    private readonly Queue<int> _statusesFirst = new();
    private readonly Queue<Hold> _holds = new();
    private readonly Uri _target;
    private readonly TimeProvider _time;
    private int _generation;

    private DPoPTokenEndpoint(Uri target, TimeProvider time)
    {
        _target = target;
        _time = time;
    }

    /// <summary>Gets or sets the nonce the server requires in proofs; null: none required.</summary>
    public string? RequiredNonce { get; set; }

    /// <summary>Gets or sets the nonce the server sends on every 200; null: none.</summary>
    public string? NonceOnSuccess { get; set; }

    /// <summary>Gets or sets the token type the server issues (a DPoP server that ignores proofs says Bearer).</summary>
    public string TokenType { get; set; } = "DPoP";

    /// <summary>Gets or sets a value indicating whether the server demands a proof; off, it ignores a missing one.</summary>
    public bool RequireProof { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether a nonce demand ignores the nonce it gave (a broken server).</summary>
    public bool AlwaysDemandNonce { get; set; }

    /// <summary>Gets or sets how many device-code polls are answered authorization_pending first.</summary>
    public int PendingPolls { get; set; }

    /// <summary>Gets the thumbprint the sign-in bound the grant to.</summary>
    public string? BoundThumbprint { get; private set; }

    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public static DPoPTokenEndpoint Start(WireMockServer idp, Uri tokenEndpoint, TimeProvider time)
    {
        var endpoint = new DPoPTokenEndpoint(tokenEndpoint, time);
        idp.Given(Request.Create().WithPath("/token").UsingPost()).RespondWith(Response.Create().WithCallback(endpoint.AnswerAsync));
        return endpoint;
    }

    public static string AccessToken(int generation) => string.Create(CultureInfo.InvariantCulture, $"at-{generation}-SECRET");

    public static string RefreshToken(int generation) => string.Create(CultureInfo.InvariantCulture, $"rt-{generation}-SECRET");

    /// <summary>The next requests are answered with these statuses (e.g. 503 with Retry-After 2), before any check.</summary>
    public void AnswerFirst(params int[] statuses)
    {
        lock (_gate)
        {
            foreach (var status in statuses)
            {
                _statusesFirst.Enqueue(status);
            }
        }
    }

    /// <summary>
    /// Holds the next request, recorded but not yet processed, until the test releases it: the
    /// test learns that it arrived and decides when the server looks at it.
    /// </summary>
    public Hold HoldNext()
    {
        var hold = new Hold();
        lock (_gate)
        {
            _holds.Enqueue(hold);
        }

        return hold;
    }

    /// <summary>Binds a refresh token as a sign-in would have (a seeded store).</summary>
    public void Bind(string refreshToken, string thumbprint, int generation)
    {
        lock (_gate)
        {
            _boundRefreshTokens[refreshToken] = thumbprint;
            BoundThumbprint = thumbprint;
            _generation = generation;
        }
    }

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var form = System.Web.HttpUtility.ParseQueryString(request.Body ?? string.Empty);
        var proofs = request.Headers?.TryGetValue("DPoP", out var values) == true ? values.ToArray() : [];
        DPoPProof? proof = null;
        string? refusal = null;
        if (proofs.Length == 1)
        {
            try
            {
                proof = await DPoPProofVerifier.VerifyAsync(proofs[0]);
            }
            catch (Exception ex)
            {
                refusal = "signature: " + ex.Message;
            }
        }
        else if (proofs.Length > 1)
        {
            refusal = "several DPoP headers";
        }

        var received = new Received(form["grant_type"], form["refresh_token"], proofs.Length == 1 ? proofs[0] : null, proof);
        Hold? hold;
        lock (_gate)
        {
            _received.Add(received);
            hold = _holds.TryDequeue(out var next) ? next : null;
        }

        if (hold is not null)
        {
            hold.Reach();
            await hold.WaitAsync();
        }

        lock (_gate)
        {
            if (_statusesFirst.TryDequeue(out var status))
            {
                return Json(status, new { error = "temporarily_unavailable" }, retryAfter: status == 503 ? "2" : null);
            }

            return Process(received, proof, refusal);
        }
    }

    private ResponseMessage Process(Received received, DPoPProof? proof, string? refusal)
    {
        string? thumbprint = null;
        if (proof is not null)
        {
            refusal ??= Check(proof);
            if (refusal is null)
            {
                using var jwk = JsonDocument.Parse(proof.JwkJson);
                thumbprint = DPoPProofVerifier.EcThumbprint(jwk.RootElement.GetProperty("x").GetString()!, jwk.RootElement.GetProperty("y").GetString()!);
            }
        }
        else if (RequireProof && refusal is null)
        {
            refusal = "no proof";
        }

        if (refusal is not null)
        {
            received.Refusal = refusal;
            return Json(400, new { error = "invalid_dpop_proof", error_description = "refused" });
        }

        // The jti is spent once the proof is accepted as well formed (RFC 9449 §11.1).
        if (proof is not null && !_seenJti.Add(proof.Claim("jti")!))
        {
            received.Refusal = "replayed jti";
            return Json(400, new { error = "invalid_dpop_proof", error_description = "replayed" });
        }

        if (proof is not null && RequiredNonce is { } nonce && (AlwaysDemandNonce || proof.Claim("nonce") != nonce))
        {
            received.Refusal = "nonce";
            return Json(400, new { error = "use_dpop_nonce", error_description = "nonce required" }, nonce: nonce);
        }

        switch (received.GrantType)
        {
            case "urn:ietf:params:oauth:grant-type:device_code":
                if (PendingPolls > 0)
                {
                    PendingPolls--;
                    return Json(400, new { error = "authorization_pending" });
                }

                _generation++;
                BoundThumbprint = thumbprint;
                break;
            case "refresh_token":
                if (received.RefreshToken is null || !_boundRefreshTokens.TryGetValue(received.RefreshToken, out var bound))
                {
                    return Json(400, new { error = "invalid_grant" });
                }

                if (thumbprint is not null && bound != thumbprint)
                {
                    received.Refusal = "key differs from the bound key";
                    return Json(400, new { error = "invalid_dpop_proof", error_description = "bound to another key" });
                }

                _boundRefreshTokens.Remove(received.RefreshToken);
                _generation++;
                break;
            default:
                return Json(400, new { error = "unsupported_grant_type" });
        }

        if (thumbprint is not null)
        {
            _boundRefreshTokens[RefreshToken(_generation)] = thumbprint;
        }

        received.Issued = _generation;
        return Json(200, new { access_token = AccessToken(_generation), token_type = TokenType, expires_in = 3600, refresh_token = RefreshToken(_generation) }, nonce: NonceOnSuccess);
    }

    private string? Check(DPoPProof proof)
    {
        if (proof.Typ != "dpop+jwt" || proof.Alg != "ES256")
        {
            return "typ or alg";
        }

        if (proof.Claim("htm") != "POST")
        {
            return "htm";
        }

        if (proof.Claim("htu") != _target.GetLeftPart(UriPartial.Path))
        {
            return "htu";
        }

        if (proof.Claim("ath") is not null)
        {
            return "ath on a token request";
        }

        var iat = long.Parse(proof.Claim("iat")!, CultureInfo.InvariantCulture);
        return Math.Abs(_time.GetUtcNow().ToUnixTimeSeconds() - iat) > 60 ? "iat" : null;
    }

    private static ResponseMessage Json(int status, object body, string? nonce = null, string? retryAfter = null)
    {
        var headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json"), ["Cache-Control"] = new("no-store") };
        if (nonce is not null)
        {
            headers["DPoP-Nonce"] = new(nonce);
        }

        if (retryAfter is not null)
        {
            headers["Retry-After"] = new(retryAfter);
        }

        return new ResponseMessage
        {
            StatusCode = status,
            Headers = headers,
            BodyData = new BodyData { BodyAsString = JsonSerializer.Serialize(body), DetectedBodyType = BodyType.String },
        };
    }

    /// <summary>One held request: the test learns when it arrives and decides when it goes on.</summary>
    internal sealed class Hold
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the held request has arrived; fails after a bounded real-time wait.</summary>
        public Task WaitUntilReachedAsync() => _reached.Task.WaitAsync(TimeSpan.FromSeconds(60));

        /// <summary>Lets the request go on to be processed (idempotent: a test's cleanup calls it too).</summary>
        public void Release() => _released.TrySetResult();

        internal void Reach() => _reached.TrySetResult();

        internal Task WaitAsync() => _released.Task;
    }

    /// <summary>One request as the server received it, and what it did with it.</summary>
    internal sealed class Received(string? grantType, string? refreshToken, string? rawProof, DPoPProof? proof)
    {
        public string? GrantType { get; } = grantType;

        public string? RefreshToken { get; } = refreshToken;

        public string? RawProof { get; } = rawProof;

        /// <summary>The verified proof; null when there was none or its signature did not verify.</summary>
        public DPoPProof? Proof { get; } = proof;

        public string? Jti => Proof?.Claim("jti");

        public string? Nonce => Proof?.Claim("nonce");

        public string? Thumbprint
        {
            get
            {
                if (Proof is null)
                {
                    return null;
                }

                using var jwk = JsonDocument.Parse(Proof.JwkJson);
                return DPoPProofVerifier.EcThumbprint(jwk.RootElement.GetProperty("x").GetString()!, jwk.RootElement.GetProperty("y").GetString()!);
            }
        }

        /// <summary>Why the server refused it, if it did.</summary>
        public string? Refusal { get; set; }

        /// <summary>The generation issued, if any.</summary>
        public int? Issued { get; set; }
    }
}
