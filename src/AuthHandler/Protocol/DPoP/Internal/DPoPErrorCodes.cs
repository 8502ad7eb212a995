namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>The error codes RFC 9449 adds, in a token endpoint's error body (§5) and in a resource's <c>DPoP</c> challenge (§7.1).</summary>
internal static class DPoPErrorCodes
{
    /// <summary>RFC 9449 §8 (token endpoint) and §9 (resource): send again once, with the nonce in the <c>DPoP-Nonce</c> header.</summary>
    public const string UseDPoPNonce = "use_dpop_nonce";

    /// <summary>RFC 9449 §5, §7.1: the proof was refused; a new token does not fix it.</summary>
    public const string InvalidDPoPProof = "invalid_dpop_proof";
}
