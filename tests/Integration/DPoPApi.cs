using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
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
/// An API on loopback that checks every request the way a DPoP resource server does (RFC 9449
/// §4.3, §7): <c>Authorization: DPoP</c> with an accepted token, exactly one <c>DPoP</c> proof,
/// its JWS signature verified with the embedded <c>jwk</c> by an independent library
/// (<see cref="DPoPProofVerifier"/>), <c>typ</c>, the jwk's thumbprint equal to the bound key's,
/// <c>htm</c>, <c>htu</c>, <c>ath</c>, <c>iat</c> within a minute of the test clock, a <c>jti</c>
/// it has never seen (a replay gets a 401), and its nonce when it demands one. What it received
/// and what it made of it is in <see cref="Received"/>.
/// </summary>
internal sealed class DPoPApi
{
    private readonly WireMockServer _server;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _seenJtis = new(StringComparer.Ordinal);
    private readonly List<DPoPApiRequest> _received = [];
    private int _nonceCounter;

    public DPoPApi(WireMockServer server, TimeProvider time, string expectedThumbprint, params string[] paths)
    {
        _server = server;
        _time = time;
        ExpectedThumbprint = expectedThumbprint;
        foreach (var path in paths)
        {
            server.Given(Request.Create().WithPath(path)).RespondWith(Response.Create().WithCallback(AnswerAsync));
        }
    }

    public string ExpectedThumbprint { get; }

    /// <summary>The tokens it accepts (as <c>DPoP</c> tokens).</summary>
    public HashSet<string> AcceptedTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, a proof without this nonce is answered 401 <c>use_dpop_nonce</c> with it (RFC 9449 §9).</summary>
    public string? RequiredNonce { get; set; }

    /// <summary>When true, every request is answered 401 <c>use_dpop_nonce</c> with a new nonce: a server that never settles.</summary>
    public bool AlwaysDemandsANewNonce { get; set; }

    /// <summary>A <c>DPoP-Nonce</c> sent with every 200 (RFC 9449 §8.2: a new nonce on any answer).</summary>
    public string? NonceOnSuccess { get; set; }

    /// <summary>The answer to a request that passed every check, when the test wants another than 200 (null: 200).</summary>
    public Func<DPoPApiRequest, ResponseMessage?>? Override { get; set; }

    public IReadOnlyList<DPoPApiRequest> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static ResponseMessage Answer(int status, params (string Name, string Value)[] headers)
    {
        var message = new ResponseMessage
        {
            StatusCode = status,
            Headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase),
            BodyData = new BodyData { BodyAsString = status == 200 ? "ok" : string.Empty, DetectedBodyType = BodyType.String },
        };
        foreach (var (name, value) in headers)
        {
            message.Headers[name] = new WireMockList<string>(value);
        }

        return message;
    }

    public static string Ath(string accessToken) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var authorization = Header(request, "Authorization");
        var proofs = request.Headers?.FirstOrDefault(h => h.Key.Equals("DPoP", StringComparison.OrdinalIgnoreCase)).Value;
        var received = new DPoPApiRequest(request.Path, request.Method, authorization, proofs?.Count == 1 ? proofs[0] : null) { Helper = Header(request, "X-Helper") };
        lock (_received)
        {
            _received.Add(received);
        }

        var token = authorization is not null && authorization.StartsWith("DPoP ", StringComparison.Ordinal) ? authorization["DPoP ".Length..] : null;
        if (token is null)
        {
            return Reject(received, "invalid_token", "the Authorization header is not a DPoP one");
        }

        if (proofs is not { Count: 1 })
        {
            return Reject(received, "invalid_dpop_proof", "not exactly one DPoP header");
        }

        DPoPProof proof;
        try
        {
            proof = await DPoPProofVerifier.VerifyAsync(proofs[0]);
        }
        catch (Exception ex)
        {
            return Reject(received, "invalid_dpop_proof", "the JWS does not verify: " + ex.Message);
        }

        received.Proof = proof;
        using var jwk = JsonDocument.Parse(proof.JwkJson);
        var thumbprint = DPoPProofVerifier.EcThumbprint(jwk.RootElement.GetProperty("x").GetString()!, jwk.RootElement.GetProperty("y").GetString()!);
        var iat = long.Parse(proof.Claim("iat") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var problem =
            proof.Typ != "dpop+jwt" ? "typ" :
            thumbprint != ExpectedThumbprint ? "the jwk is not the bound key" :
            proof.Claim("htm") != request.Method ? "htm" :
            proof.Claim("htu") != _server.Url + request.Path ? "htu" :
            proof.Claim("ath") != Ath(token) ? "ath" :
            Math.Abs(_time.GetUtcNow().ToUnixTimeSeconds() - iat) > 60 ? "iat" :
            proof.Claim("jti") is not { Length: > 0 } jti ? "no jti" :
            null;
        if (problem is not null)
        {
            return Reject(received, "invalid_dpop_proof", problem);
        }

        lock (_seenJtis)
        {
            if (!_seenJtis.Add(proof.Claim("jti")!))
            {
                return Reject(received, "invalid_dpop_proof", "jti replayed");
            }
        }

        // The proof is checked first, then the token (RFC 9449 §7.1): a refused token's proof is on record too.
        if (!AcceptedTokens.Contains(token))
        {
            return Reject(received, "invalid_token", "the token is not accepted");
        }

        if (AlwaysDemandsANewNonce)
        {
            received.Verdict = "nonce demanded";
            return Answer(401, ("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\""), ("DPoP-Nonce", "rotating-" + Interlocked.Increment(ref _nonceCounter)));
        }

        if (RequiredNonce is { } nonce && proof.Claim("nonce") != nonce)
        {
            received.Verdict = "nonce demanded";
            return Answer(401, ("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\""), ("DPoP-Nonce", nonce));
        }

        received.Verdict = "ok";
        if (Override?.Invoke(received) is { } custom)
        {
            return custom;
        }

        return NonceOnSuccess is { } next ? Answer(200, ("DPoP-Nonce", next)) : Answer(200);
    }

    private static ResponseMessage Reject(DPoPApiRequest received, string error, string why)
    {
        received.Verdict = why;
        return Answer(401, ("WWW-Authenticate", $"DPoP error=\"{error}\""));
    }

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value is { Count: > 0 } values ? values[0] : null;
}

/// <summary>One request the <see cref="DPoPApi"/> received: the headers, the verified proof and the verdict ("ok" when every check passed).</summary>
internal sealed class DPoPApiRequest(string path, string method, string? authorization, string? rawProof)
{
    public string Path { get; } = path;

    public string Method { get; } = method;

    public string? Authorization { get; } = authorization;

    public string? RawProof { get; } = rawProof;

    /// <summary>The <c>X-Helper</c> header: which helper process sent it, in the cross-process tests.</summary>
    public string? Helper { get; init; }

    public DPoPProof? Proof { get; set; }

    public string? Verdict { get; set; }
}
