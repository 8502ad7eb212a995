namespace AuthHandler;

/// <summary>
/// The sign-in of one HTTP client registration: what <see cref="DeviceAuthSession"/> does, as an
/// interface that app code can depend on and replace with a test double.
/// </summary>
/// <remarks>
/// Registered as a keyed singleton for each client, the same instance as its
/// <see cref="DeviceAuthSession"/>:
/// <c>services.GetRequiredKeyedService&lt;IDeviceAuthSession&gt;(clientName)</c>, or
/// <c>[FromKeyedServices("api")] IDeviceAuthSession session</c> in a constructor.
/// </remarks>
public interface IDeviceAuthSession
{
    /// <summary>
    /// Raised once each time the session moves to <see cref="SessionState.SignInRequired"/> because
    /// the user must sign in again (no tokens, refresh token rejected or expired). Not raised by
    /// <see cref="SignOutAsync"/>.
    /// </summary>
    event EventHandler<SignInRequiredEventArgs>? SignInRequired;

    /// <summary>Raised after each successful call to the token endpoint's refresh grant.</summary>
    event EventHandler<RefreshedEventArgs>? Refreshed;

    /// <summary>Gets the HTTP client name this session serves.</summary>
    string Name { get; }

    /// <summary>Gets the session's state.</summary>
    SessionState State { get; }

    /// <summary>
    /// Gets the access token for a call that does not go through the client's
    /// <see cref="HttpClient"/>, by the rules the handler follows: a fresh token at once; inside the
    /// refresh window the current token while one background refresh runs; past expiry minus
    /// skew, the result of the one refresh that every waiting caller and request shares. With
    /// <see cref="DeviceAuthOptions.SignInOnDemand"/>, a device sign-in when there are no usable tokens.
    /// </summary>
    /// <param name="cancellationToken">Stops this caller's wait; the shared refresh goes on for the others.</param>
    /// <returns>The token to send.</returns>
    /// <exception cref="SignInRequiredException">No tokens are stored, or the refresh token was
    /// rejected or has expired; <see cref="SignInRequiredException.Reason"/> says which.</exception>
    /// <exception cref="TokenEndpointException">The refresh failed transiently and the current token
    /// has expired. While it is still valid, it is returned instead.</exception>
    /// <exception cref="TokenStoreException">The store failed transiently and no token is valid.</exception>
    /// <exception cref="TimeoutException">The refresh lock was held elsewhere for too long and no token is valid.</exception>
    ValueTask<AccessToken> GetAccessTokenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports that the API rejected <paramref name="rejected"/> (an HTTP 401, a gRPC
    /// <c>Unauthenticated</c>), and gets its replacement: the handler's 401 path. If the session
    /// already holds another token, that one comes back without a refresh; otherwise one refresh
    /// runs, shared by every caller that reports the same token and every request that got a 401
    /// with it. Send the call again once with the result; do not loop.
    /// </summary>
    /// <param name="rejected">The token the API rejected, as <see cref="GetAccessTokenAsync(CancellationToken)"/>
    /// returned it (a token created by the app is matched by its value).</param>
    /// <param name="cancellationToken">Stops this caller's wait; the shared refresh goes on for the others.</param>
    /// <returns>The token to send the call again with.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rejected"/> is null.</exception>
    /// <exception cref="SignInRequiredException">The refresh token was rejected or has expired, or
    /// there is none; <see cref="SignInRequiredException.Reason"/> says which.</exception>
    /// <exception cref="TokenEndpointException">The refresh failed transiently (the rejected token is not returned again).</exception>
    /// <exception cref="TokenStoreException">The store failed transiently.</exception>
    /// <exception cref="TimeoutException">The refresh lock was held elsewhere for too long.</exception>
    ValueTask<AccessToken> RefreshAccessTokenAsync(AccessToken rejected, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the signed-in account from the token store, with no network call and no refresh:
    /// who (from the ID token, when the server issued one), the granted scopes and the expiries.
    /// </summary>
    /// <param name="cancellationToken">Cancels the store read.</param>
    /// <returns>The account, or <see langword="null"/> when no tokens are stored (never signed in, or signed out).
    /// An account whose tokens have expired is still returned: a refresh token may renew them.</returns>
    /// <exception cref="TokenStoreException">The store cannot be read (for example a corrupted token file).</exception>
    ValueTask<SignedInAccount?> GetAccountAsync(CancellationToken cancellationToken = default);

    /// <summary>Signs in with tokens obtained elsewhere: stores them and uses them for the next request.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    Task SetTokensAsync(TokenSet tokens, CancellationToken cancellationToken = default);

    /// <summary>Signs the user in with the device authorization grant (RFC 8628), showing the code through <paramref name="onDeviceCode"/>.</summary>
    /// <param name="onDeviceCode">Shows the user code and verification URL.</param>
    /// <param name="cancellationToken">Stops polling at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    Task SignInAsync(Func<OnDeviceCodeArguments, ValueTask> onDeviceCode, CancellationToken cancellationToken = default);

    /// <summary>Signs the user in with <see cref="DeviceAuthOptions.SignInMethod"/> (by default the browser when there is a display and the server supports it, else the device code).</summary>
    /// <param name="cancellationToken">Stops the sign-in at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    Task SignInAsync(CancellationToken cancellationToken = default);

    /// <summary>Signs the user in with <paramref name="method"/>: the browser (RFC 8252, PKCE, a loopback redirect), the device code, or the automatic choice.</summary>
    /// <param name="method">How to sign in.</param>
    /// <param name="cancellationToken">Stops the sign-in at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    Task SignInAsync(SignInMethod method, CancellationToken cancellationToken = default);

    /// <summary>Signs out: deletes the stored tokens and revokes the refresh token where the server allows (RFC 7009).</summary>
    /// <param name="cancellationToken">Cancels the store delete and the revocation.</param>
    /// <returns>What happened at the server.</returns>
    Task<RevocationResult> SignOutAsync(CancellationToken cancellationToken = default);
}
