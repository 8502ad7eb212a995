using System.Diagnostics;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler;

/// <summary>
/// The sign-in state of one HTTP client registration: the current tokens, when to refresh them,
/// the single refresh that all concurrent callers share, and the sign-in-required signal.
/// </summary>
/// <remarks>
/// <para>
/// One session exists per client name, as a keyed singleton:
/// <c>services.GetRequiredKeyedService&lt;DeviceAuthSession&gt;(clientName)</c>, or the same
/// instance as <see cref="IDeviceAuthSession"/>. The handlers that
/// <see cref="System.Net.Http.IHttpClientFactory"/> creates and recycles hold no state of their
/// own; they all use this session, and so does <see cref="GetAccessTokenAsync(CancellationToken)"/>.
/// </para>
/// <para>
/// A fresh token costs one volatile read. Inside the refresh window one background refresh runs
/// while requests keep using the current token; past expiry minus skew, requests wait for it. A
/// refresh runs for the session's lifetime, never a caller's cancellation token, and always
/// completes, so no waiter hangs. Its events are raised before the requests that waited for it
/// resume.
/// </para>
/// </remarks>
[DebuggerDisplay("DeviceAuthSession {Name,nq}: {State}")]
public sealed class DeviceAuthSession : IDeviceAuthSession, IAsyncDisposable, IDisposable
{
    private readonly TokenState _state;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ITokenStore _store;
    private readonly IRefreshLock _refreshLock;
    private readonly RefreshSchedule _schedule;
    private readonly TokenRefresher _refresher;
    private readonly RefreshCoordinator _coordinator;
    private readonly SignInFlow _signIn;
    private readonly SessionSignals _signals;
    private readonly Func<OnDeviceCodeArguments, ValueTask>? _onDeviceCode;
    private readonly bool _signInOnDemand;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal DeviceAuthSession(SessionParts parts)
    {
        Name = parts.Name;
        _state = new TokenState(parts.Time);
        StoreKey = parts.StoreKey;
        _store = parts.Store;
        _refreshLock = parts.RefreshLock;
        _schedule = parts.Schedule;
        _refresher = parts.Refresher;
        _signIn = parts.SignIn;
        _signals = parts.Signals;
        _signals.Sender = this;
        _onDeviceCode = parts.OnDeviceCode;
        _signInOnDemand = parts.SignInOnDemand;
        _time = parts.Time;
        _logger = parts.Logger;
        DPoP = parts.DPoP;
        _coordinator = new RefreshCoordinator(Name, _state, RefreshOrSignInAsync, _signals, _signInOnDemand, parts.RefreshRetryDelay, _time, _logger, parts.Metrics, _lifetime.Token);
    }

    /// <summary>
    /// Raised once each time the session moves to <see cref="SessionState.SignInRequired"/> because the
    /// user must sign in again (no tokens, refresh token rejected or expired). Not raised by
    /// <see cref="SignOutAsync"/>. Raised before the requests that waited for the refresh resume.
    /// </summary>
    public event EventHandler<SignInRequiredEventArgs>? SignInRequired
    {
        add => _signals.SignInRequired += value;
        remove => _signals.SignInRequired -= value;
    }

    /// <summary>
    /// Raised after each successful call to the token endpoint's refresh grant, before the requests
    /// that waited for it resume.
    /// </summary>
    public event EventHandler<RefreshedEventArgs>? Refreshed
    {
        add => _signals.Refreshed += value;
        remove => _signals.Refreshed -= value;
    }

    /// <summary>Gets the HTTP client name this session serves.</summary>
    public string Name { get; }

    /// <summary>The key under which the session's tokens are kept in the token store (authority, client id and scopes).</summary>
    internal string StoreKey { get; }

    /// <summary>Gets the session's DPoP state (RFC 9449): whether it is on, the proof writer of a stored key (imported once), the nonces.</summary>
    internal DPoPContext DPoP { get; }

    /// <summary>Gets the session's one DPoP nonce cache, shared by the back channel and the API requests.</summary>
    internal DPoPNonceCache DPoPNonces => DPoP.Nonces;

    /// <summary>Gets the session's state.</summary>
    public SessionState State => _state.State;

    /// <summary>Gets when the current access token expires, or <see langword="null"/> when there is none.</summary>
    public DateTimeOffset? AccessTokenExpiresAt => _state.Snapshot?.Tokens.ExpiresAt;

    /// <summary>The lock the session holds across read → refresh → write (tests check the choice).</summary>
    internal IRefreshLock RefreshLock => _refreshLock;

    /// <summary>Why the session is signed out, when it signed itself out.</summary>
    internal SignInRequiredReason? SignedOutReason => _state.SignedOutReason;

    /// <summary>
    /// Signs the session in with tokens obtained elsewhere: stores them and uses them for the
    /// next request. The tokens are checked before anything is stored.
    /// </summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentException">The access token is not an RFC 6750 §2.1 <c>b64token</c>
    /// (letters, digits, <c>-._~+/</c>, then any <c>=</c>), or, without
    /// <see cref="DeviceAuthOptions.AuthorizationScheme"/>, the token type is not <c>Bearer</c>; or the
    /// token type is <c>DPoP</c> and DPoP is off (<see cref="DPoPOptions.Enabled"/>) or
    /// <see cref="TokenSet.DPoPKey"/> is missing or not a key the session can sign with.
    /// Nothing is stored.</exception>
    /// <exception cref="TokenStoreException">The store (or the lock beside it) cannot be written.
    /// The session does not use the tokens: either they are stored and in use, or neither.</exception>
    public Task SetTokensAsync(TokenSet tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (!_schedule.CanSend(tokens))
        {
            throw new ArgumentException("The access token is not an RFC 6750 b64token (letters, digits, -._~+/ and trailing =) with the Bearer type (or the DPoP type with DPoP enabled and its key), so it cannot be sent in a header; set DeviceAuthOptions.AuthorizationScheme to send another type with its own scheme.", nameof(tokens));
        }

        // A DPoP key is imported once, here; one that does not import is refused before anything
        // is stored (the message names why, never the key).
        var snapshot = _schedule.CreateSnapshot(tokens);
        if (snapshot.DPoP is { CanProve: false } unusable)
        {
            throw new ArgumentException($"The DPoP key of the tokens cannot be used ({unusable.ImportError}); tokens bound to it cannot be sent.", nameof(tokens));
        }

        return StoreAndUseAsync(tokens, snapshot, cancellationToken);
    }

    /// <summary>Stores the tokens under the refresh lock, then uses them; a store failure leaves the session as it was.</summary>
    private async Task StoreAndUseAsync(TokenSet tokens, TokenSnapshot? snapshot, CancellationToken cancellationToken)
    {
        var lease = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            await _store.SetAsync(StoreKey, tokens, lease, cancellationToken).ConfigureAwait(false);
            _state.SignIn(snapshot ?? _schedule.CreateSnapshot(tokens));
        }
    }

    /// <summary>
    /// Signs the user in with the device authorization grant (RFC 8628): asks the server for a
    /// code, hands it to <paramref name="onDeviceCode"/> to show, and polls until the user approves.
    /// </summary>
    /// <param name="onDeviceCode">Shows the user code and verification URL (console, GUI, QR code).</param>
    /// <param name="cancellationToken">Stops polling at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    /// <exception cref="DeviceAuthorizationException">The user declined, the code expired, or the server refused.</exception>
    /// <exception cref="TokenStoreException">The user approved, but the store (or the lock beside
    /// it) cannot be written, for example an unwritable <see cref="DeviceAuthOptions.StorageDirectory"/>.
    /// The session does not use the tokens; sign in again once the store can be written.</exception>
    public async Task SignInAsync(Func<OnDeviceCodeArguments, ValueTask> onDeviceCode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onDeviceCode);
        var tokens = await _signIn.RunDeviceFlowAsync(onDeviceCode, cancellationToken).ConfigureAwait(false);
        await StoreAndUseAsync(tokens, snapshot: null, cancellationToken).ConfigureAwait(false);
        Log.SignedIn(_logger, Name);
    }

    /// <summary>
    /// Signs the user in with <see cref="DeviceAuthOptions.SignInMethod"/>: by default
    /// (<see cref="SignInMethod.Automatic"/>) in the browser when there is a display and the server
    /// supports it, else with the device authorization grant, showing the code through
    /// <see cref="DeviceAuthOptions.OnDeviceCode"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops the sign-in at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    /// <exception cref="InvalidOperationException">The device code was chosen and <see cref="DeviceAuthOptions.OnDeviceCode"/> is not set.</exception>
    /// <exception cref="DeviceAuthorizationException">The user declined, the code expired, or the server refused.</exception>
    /// <exception cref="BrowserSignInException">The browser sign-in did not complete (with <see cref="SignInMethod.Browser"/>, also when the browser cannot be opened).</exception>
    /// <exception cref="TokenStoreException">The user approved, but the store cannot be written; the session does not use the tokens.</exception>
    public Task SignInAsync(CancellationToken cancellationToken = default) =>
        SignInAsync(_signIn.DefaultMethod, cancellationToken);

    /// <summary>
    /// Signs the user in with <paramref name="method"/>: <see cref="SignInMethod.Browser"/> opens
    /// the authorization URL through <see cref="BrowserSignInOptions.LaunchBrowser"/> and catches
    /// the redirect on a loopback port; <see cref="SignInMethod.DeviceCode"/> shows the code through
    /// <see cref="DeviceAuthOptions.OnDeviceCode"/>; <see cref="SignInMethod.Automatic"/> chooses.
    /// Nothing is stored unless the sign-in completes.
    /// </summary>
    /// <param name="method">How to sign in.</param>
    /// <param name="cancellationToken">Stops the sign-in at once; the redirect listener is closed.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">The device code was chosen and <see cref="DeviceAuthOptions.OnDeviceCode"/> is not set.</exception>
    /// <exception cref="DeviceAuthorizationException">The device sign-in did not complete.</exception>
    /// <exception cref="BrowserSignInException">The browser sign-in did not complete; <see cref="BrowserSignInException.Failure"/> says why.</exception>
    /// <exception cref="TokenStoreException">The user approved, but the store cannot be written; the session does not use the tokens.</exception>
    public async Task SignInAsync(SignInMethod method, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "Not a sign-in method.");
        }

        if (method == SignInMethod.DeviceCode && _onDeviceCode is null)
        {
            throw new InvalidOperationException($"Set DeviceAuthOptions.OnDeviceCode for client '{Name}', or pass a callback.");
        }

        var tokens = await _signIn.RunAsync(method, _onDeviceCode, cancellationToken).ConfigureAwait(false);
        await StoreAndUseAsync(tokens, snapshot: null, cancellationToken).ConfigureAwait(false);
        Log.SignedIn(_logger, Name);
    }

    /// <summary>
    /// Signs out: deletes the stored tokens, moves to <see cref="SessionState.SignInRequired"/>, and,
    /// when the server has a revocation endpoint (RFC 7009), revokes the refresh token there.
    /// Does not raise <see cref="SignInRequired"/>. A failed revocation is reported, not thrown.
    /// </summary>
    /// <param name="cancellationToken">Cancels the store delete and the revocation.</param>
    /// <returns>What happened at the server.</returns>
    public async Task<RevocationResult> SignOutAsync(CancellationToken cancellationToken = default)
    {
        string? refreshToken;
        var lease = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            try
            {
                refreshToken = (await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false))?.RefreshToken;
            }
            catch (TokenStoreException)
            {
                refreshToken = null;
            }

            refreshToken ??= _state.Snapshot?.Tokens.RefreshToken;
            await _store.RemoveAsync(StoreKey, lease, cancellationToken).ConfigureAwait(false);
            _state.SignOut(_time.GetUtcNow());
        }

        var result = await _signIn.RevokeAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        Log.SignedOut(_logger, Name, result);
        return result;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One mechanism with the handler: the same snapshot, the same refresh-ahead and the same
    /// single flight, so requests and these callers never cause two refreshes between them.
    /// </remarks>
    public ValueTask<AccessToken> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        var token = GetTokenAsync(cancellationToken);
        if (!token.IsCompletedSuccessfully)
        {
            return AccessTokenAsync(token);
        }

        // Invariant 2 for these callers too: a fresh token is a read and no allocation.
        return token.Result is { CanSend: true } snapshot ? new ValueTask<AccessToken>(snapshot.AccessToken) : ValueTask.FromException<AccessToken>(NewSignInRequired());
    }

    /// <inheritdoc />
    /// <remarks>
    /// Compare-and-refresh (invariant 3) by the token that failed: a token this session returned is
    /// compared by the snapshot it came from, as the handler compares after a 401.
    /// </remarks>
    public ValueTask<AccessToken> RefreshAccessTokenAsync(AccessToken rejected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejected);

        // A token the app made itself (a test, a cache of its own) is this session's current one
        // when the value matches; any other is already replaced, and the current one comes back.
        var replacing = rejected.Snapshot ?? (_state.Snapshot is { } current && string.Equals(current.Tokens.AccessToken, rejected.Value, StringComparison.Ordinal) ? current : null);
        return AccessTokenAsync(RefreshAsync(replacing, cancellationToken));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reading the store also settles <see cref="State"/> when it is still
    /// <see cref="SessionState.Unknown"/> and the store holds tokens that can be sent: the session
    /// takes them as the first request would (<see cref="SessionState.SignedIn"/>), with no refresh
    /// now; one that is due runs on the next request, by the usual rules. Finding no tokens leaves
    /// the state <see cref="SessionState.Unknown"/>: the move to
    /// <see cref="SessionState.SignInRequired"/> raises <see cref="SignInRequired"/>, and stays
    /// with the first request.
    /// </remarks>
    public async ValueTask<SignedInAccount?> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var tokens = await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        if (tokens is null)
        {
            return null;
        }

        if (_state.State == SessionState.Unknown && _schedule.CanSend(tokens))
        {
            _state.AdoptStored(_schedule.CreateSnapshot(tokens));
        }

        return AccountReader.Describe(tokens);
    }

    /// <summary>Stops any refresh in flight. Waiting requests get an <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops any refresh in flight. Waiting requests get an <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (!_lifetime.IsCancellationRequested)
        {
            _lifetime.Cancel();
        }

        _state.Dispose();
    }

    /// <summary>Completes when the latest refresh has published its outcome and raised its events.</summary>
    internal Task WhenRefreshCompleted() => _coordinator.WhenCompleted();

    /// <summary>
    /// The current token when it is fresh (before its refresh window), else null: two volatile
    /// reads and no call the JIT cannot inline, the handler's hot path (invariant 2). Null means
    /// "ask <see cref="GetTokenAsync"/>", not "signed out".
    /// </summary>
    internal TokenSnapshot? FreshToken => _state.Snapshot is { IsFresh: true } snapshot ? snapshot : null;

    /// <summary>
    /// The token for a request, or null when a sign-in is required. When the token is fresh
    /// this is two volatile reads, with no clock read and no allocation.
    /// </summary>
    internal ValueTask<TokenSnapshot?> GetTokenAsync(CancellationToken cancellationToken)
    {
        var snapshot = _state.Snapshot;
        if (snapshot is not null)
        {
            // Invariant 2: a fresh token is a flag, not a clock read (FreshnessTimer turns it).
            if (snapshot.IsFresh)
            {
                return new ValueTask<TokenSnapshot?>(snapshot);
            }

            var now = _time.GetUtcNow();
            if (now < snapshot.RefreshAt)
            {
                return new ValueTask<TokenSnapshot?>(snapshot);
            }

            if (now < snapshot.MustRefreshAt)
            {
                _coordinator.RefreshAhead(snapshot, now);
                return new ValueTask<TokenSnapshot?>(snapshot);
            }

            if (now < snapshot.Tokens.ExpiresAt)
            {
                // Inside the skew the token is still valid at the server: the refresh starts
                // (or is joined) at once, but the request does not wait for it, so a slow lock
                // or token endpoint never stalls a caller whose token still works. Should the
                // server already reject it, the 401 joins the same refresh.
                _coordinator.RefreshNow(snapshot);
                return new ValueTask<TokenSnapshot?>(snapshot);
            }
        }
        else if (_state.State == SessionState.SignInRequired && !_state.MayLeaveSignedOut(_time.GetUtcNow(), _signInOnDemand))
        {
            return new ValueTask<TokenSnapshot?>((TokenSnapshot?)null);
        }

        return WaitForTokenAsync(snapshot, cancellationToken);
    }

    /// <summary>
    /// Compare-and-refresh after the API rejected <paramref name="rejected"/> (null: a token the
    /// session does not hold): if another caller has already replaced it, returns the replacement
    /// without a new refresh. Returns null when
    /// a sign-in is required; throws the failure's own type (see <see cref="RefreshOutcome"/>).
    /// </summary>
    internal async ValueTask<TokenSnapshot?> RefreshAsync(TokenSnapshot? rejected, CancellationToken cancellationToken)
    {
        var outcome = await _coordinator.Join(rejected).WaitAsync(cancellationToken).ConfigureAwait(false);
        return outcome.Failure is null ? outcome.Snapshot : throw outcome.NewException();
    }

    /// <summary>The token of <paramref name="token"/>'s snapshot, or the sign-in-required exception the handler's <see cref="SignInRequiredBehavior.ThrowException"/> throws.</summary>
    private async ValueTask<AccessToken> AccessTokenAsync(ValueTask<TokenSnapshot?> token) =>
        await token.ConfigureAwait(false) is { CanSend: true } snapshot ? snapshot.AccessToken : throw NewSignInRequired();

    private SignInRequiredException NewSignInRequired() => new(Name, SignedOutReason);

    private async ValueTask<TokenSnapshot?> WaitForTokenAsync(TokenSnapshot? stale, CancellationToken cancellationToken)
    {
        var outcome = await _coordinator.Join(stale).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is null)
        {
            return outcome.Snapshot;
        }

        // The refresh failed transiently. A token inside the skew is still valid at the server:
        // using it beats failing the request.
        var current = outcome.Snapshot ?? stale;
        var remaining = current is null ? TimeSpan.Zero : current.Tokens.ExpiresAt - _time.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            Log.UsingCurrentToken(_logger, Name, (long)remaining.TotalSeconds);
            return current;
        }

        throw outcome.NewException();
    }

    /// <summary>The refresh; with sign-in on demand, a sign-in (<see cref="DeviceAuthOptions.SignInMethod"/>) when it finds no usable tokens.</summary>
    private async Task<RefreshOutcome> RefreshOrSignInAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        var outcome = await _refresher.RefreshAsync(replacing, cancellationToken).ConfigureAwait(false);
        if (outcome.SignedOutReason is null || !_signInOnDemand)
        {
            return outcome;
        }

        return await _signIn.SignInOnDemandAsync(_onDeviceCode, cancellationToken).ConfigureAwait(false);
    }
}
