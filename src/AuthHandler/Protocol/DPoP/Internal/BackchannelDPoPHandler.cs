namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// Writes the <c>DPoP</c> header of a token-endpoint request on every attempt, and remembers the
/// <c>DPoP-Nonce</c> of every answer. It sits below the back channel's retry handler, which sends
/// the same <see cref="HttpRequestMessage"/> again: a proof made once per request would go out
/// twice with the same <c>jti</c>, which servers refuse as a replay (RFC 9449 §11.1). Stateless
/// (a handler chain is pooled and rebuilt): what to sign with travels in the request's options.
/// </summary>
internal sealed class BackchannelDPoPHandler : DelegatingHandler
{
    /// <summary>The header a proof goes in (RFC 9449 §4.1).</summary>
    public const string HeaderName = "DPoP";

    /// <summary>The key and the nonce cache of a request that carries a proof; absent: no proof.</summary>
    public static readonly HttpRequestOptionsKey<DPoPRequest> Proof = new("AuthHandler.DPoP");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(Proof, out var proof) || proof is null || request.RequestUri is not { } target)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        request.Headers.Remove(HeaderName);
        request.Headers.TryAddWithoutValidation(HeaderName, proof.Writer.CreateProof(request.Method, target, accessToken: null, proof.Nonces.Get(target)));
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        // RFC 9449 §8.2: a server may give a new nonce on any answer, a 200 or a 503 before a retry.
        proof.Nonces.Remember(target, response.Headers);
        return response;
    }
}

/// <summary>What a token request's proofs are signed with, and where its nonces are kept.</summary>
/// <param name="Writer">The proof writer of the sign-in's or the stored token set's key.</param>
/// <param name="Nonces">The session's nonce cache.</param>
internal sealed record DPoPRequest(DPoPProofWriter Writer, DPoPNonceCache Nonces);
