namespace AuthHandler.Http.Internal;

/// <summary>
/// What one request's redirects have used up so far. Created only when a redirect is followed,
/// so a request that is not redirected allocates nothing for it (invariant 2).
/// </summary>
internal sealed class RedirectChain
{
    public RedirectChain(bool authorized, bool retried)
    {
        Authorized = authorized;
        Retried = retried;
    }

    /// <summary>
    /// Whether every hop so far went to an allowed origin. Once a hop leaves them, no later hop
    /// gets the token or the device headers back: a foreign origin must not be able to choose
    /// which request of the user's reaches the API with the token (a confused deputy).
    /// </summary>
    public bool Authorized { get; set; }

    /// <summary>Whether the one re-send after a 401 (invariant 7) was spent, on any hop.</summary>
    public bool Retried { get; set; }

    /// <summary>
    /// Whether the one re-send with a DPoP nonce after a 401 <c>use_dpop_nonce</c> (RFC 9449 §9)
    /// was spent, on any hop. Counted apart from <see cref="Retried"/> (DeviceAuthHandler's
    /// RetryUnauthorizedAsync says why).
    /// </summary>
    public bool NonceResent { get; set; }

    /// <summary>How many redirects were followed.</summary>
    public int Followed { get; set; }
}
