using System.Text.Json;

namespace AuthHandler.Tests.Unit;

/// <summary>A proof that passed <see cref="DPoPProofVerifier"/>: what a server read from it.</summary>
internal sealed record DPoPProof(string Typ, string Alg, string JwkJson, int SignatureLength, JsonElement Payload, string[] HeaderMembers)
{
    public string? Claim(string name) =>
        Payload.TryGetProperty(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;
}
