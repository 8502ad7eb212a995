namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>The key of one sign-in attempt: its proof writer and its stored form, which goes into the issued token set.</summary>
internal sealed class DPoPSignIn
{
    public DPoPSignIn(DPoPProofWriter writer, string storedKey)
    {
        Writer = writer;
        StoredKey = storedKey;
    }

    public DPoPProofWriter Writer { get; }

    /// <summary>Gets the private key in its stored form (<see cref="TokenSet.DPoPKey"/>): a secret, for the store only.</summary>
    public string StoredKey { get; }

    public override string ToString() => $"DPoPSignIn {{ {Writer.Key} }}";
}
