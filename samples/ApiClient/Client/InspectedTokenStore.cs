using AuthHandler;

namespace ApiClient.Client;

/// <summary>
/// The session's token store, unchanged, that notes one public fact about the entry it last read:
/// whether its tokens are DPoP-bound, and to which key (by thumbprint). The session's public API
/// (<see cref="SignedInAccount"/>) does not say, and status and the demo want to. It keeps no token
/// and no key.
/// </summary>
internal sealed class InspectedTokenStore(ITokenStore inner) : ITokenStore
{
    private volatile string? _lastReadThumbprint;

    /// <summary>Gets the RFC 7638 thumbprint of the DPoP key of the tokens last read; null: bearer tokens, or none read.</summary>
    public string? LastReadThumbprint => _lastReadThumbprint;

    public async ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var tokens = await inner.GetAsync(key, cancellationToken);
        _lastReadThumbprint = tokens?.DPoPKey is { } stored ? DPoPThumbprint.OfStoredKey(stored) : null;
        return tokens;
    }

    public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken) =>
        inner.SetAsync(key, tokens, lease, cancellationToken);

    public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) =>
        inner.RemoveAsync(key, lease, cancellationToken);
}
