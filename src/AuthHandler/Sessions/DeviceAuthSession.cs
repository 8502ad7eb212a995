using System.Diagnostics;
using AuthHandler.Device.Internal;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.Internal;
using AuthHandler.Sessions.Internal;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler;

/// <summary>
/// The sign-in state of one HTTP client registration: the current tokens, when to refresh them,
/// the single refresh that all concurrent callers share, and the unauthorized signal.
/// </summary>
/// <remarks>
/// <para>
/// One session exists per client name, as a keyed singleton:
/// <c>services.GetRequiredKeyedService&lt;DeviceAuthSession&gt;(clientName)</c>. The handlers that
/// <see cref="System.Net.Http.IHttpClientFactory"/> creates and recycles hold no state of their
/// own; they all use this session.
/// </para>
/// <para>
/// A fresh token costs one volatile read. Inside the refresh window one background refresh runs
/// while requests keep using the current token; past expiry minus skew, requests wait for it. A
/// refresh runs for the session's lifetime, never a caller's cancellation token, and always
/// completes, so no waiter hangs.
/// </para>
/// </remarks>
[DebuggerDisplay("DeviceAuthSession {Name,nq}: {State}")]
public sealed class DeviceAuthSession : IAsyncDisposable, IDisposable
{
    /// <summary>How often a signed-out session re-reads the store for a sign-in made elsewhere.</summary>
    private static readonly TimeSpan SignedOutRecheckInterval = TimeSpan.FromSeconds(5);

    private static readonly Task<RefreshOutcome> SignedOutOutcome = Task.FromResult(RefreshOutcome.SignedOut(UnauthorizedReason.NoTokens));

    private readonly Lock _gate = new();
    private readonly ITokenStore _store;
    private readonly IRefreshLock _refreshLock;
    private readonly TokenEndpointClient _tokenClient;
    private readonly AuthorizationServer _server;
    private readonly DeviceFlow _deviceFlow;
    private readonly Func<OnDeviceCodeArguments, ValueTask>? _onDeviceCode;
    private readonly bool _signInOnDemand;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeviceAuthMetrics _metrics;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Func<OnUnauthorizedArguments, ValueTask>? _onUnauthorized;
    private readonly string? _schemeOverride;
    private readonly TimeSpan _refreshWindow;
    private readonly TimeSpan _expirySkew;
    private readonly TimeSpan _defaultLifetime;
    private readonly TimeSpan _refreshRetryDelay;

    private volatile TokenSnapshot? _snapshot;
    private volatile SessionState _state;
    private volatile TaskCompletionSource<RefreshOutcome>? _pending;
    private UnauthorizedReason? _signedOutReason;
    private long _backgroundRetryAtTicks;
    private long _signedOutAtTicks;
    private Task? _latestRun;
    private Activity? _refreshActivity;

    // Bumped by SetTokensAsync and SignOutAsync so that a refresh that was already running when
    // the app changed the tokens does not overwrite the app's choice when it completes.
    private int _generation;

    internal DeviceAuthSession(
        string name,
        DeviceAuthOptions options,
        AuthorizationServer server,
        DeviceFlow deviceFlow,
        string storeKey,
        OriginSet origins,
        DeviceHeaderSet deviceHeaders,
        ITokenStore store,
        IRefreshLock refreshLock,
        TokenEndpointClient tokenClient,
        TimeProvider time,
        ILogger logger,
        DeviceAuthMetrics metrics)
    {
        Name = name;
        StoreKey = storeKey;
        Origins = origins;
        DeviceHeaders = deviceHeaders;
        HeaderName = options.AuthorizationHeaderName;
        SignInRequiredBehavior = options.SignInRequiredBehavior;
        _schemeOverride = options.AuthorizationScheme;
        _refreshWindow = options.RefreshWindow;
        _expirySkew = options.ExpirySkew;
        _defaultLifetime = options.DefaultTokenLifetime;
        _refreshRetryDelay = options.RefreshRetryDelay;
        _onUnauthorized = options.OnUnauthorized;
        _onDeviceCode = options.OnDeviceCode;
        _signInOnDemand = options.SignInOnDemand && options.OnDeviceCode is not null;
        _server = server;
        _deviceFlow = deviceFlow;
        _store = store;
        _refreshLock = refreshLock;
        _tokenClient = tokenClient;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>
    /// Raised once each time the session moves to <see cref="SessionState.SignedOut"/> because the
    /// user must sign in again (no tokens, refresh token rejected or expired). Not raised by
    /// <see cref="SignOutAsync"/>. Handlers run after waiting requests have been released.
    /// </summary>
    public event EventHandler<OnUnauthorizedArguments>? Unauthorized;

    /// <summary>Raised after each successful call to the token endpoint's refresh grant.</summary>
    public event EventHandler<OnRefreshedArguments>? Refreshed;

    /// <summary>Gets the HTTP client name this session serves.</summary>
    public string Name { get; }

    /// <summary>Gets the key under which the session's tokens are kept in the token store.</summary>
    public string StoreKey { get; }

    /// <summary>Gets the session's state.</summary>
    public SessionState State => _state;

    /// <summary>Gets when the current access token expires, or <see langword="null"/> when there is none.</summary>
    public DateTimeOffset? AccessTokenExpiresAt => _snapshot?.Tokens.ExpiresAt;

    internal OriginSet Origins { get; }

    internal DeviceHeaderSet DeviceHeaders { get; }

    internal string HeaderName { get; }

    internal SignInRequiredBehavior SignInRequiredBehavior { get; }

    internal DeviceAuthMetrics Metrics => _metrics;

    /// <summary>The lock the session holds across read → refresh → write (tests check the choice).</summary>
    internal IRefreshLock RefreshLock => _refreshLock;

    /// <summary>Why the session is signed out, when it signed itself out.</summary>
    internal UnauthorizedReason? SignedOutReason
    {
        get
        {
            lock (_gate)
            {
                return _signedOutReason;
            }
        }
    }

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
    /// <see cref="DeviceAuthOptions.AuthorizationScheme"/>, the token type is not <c>Bearer</c>.
    /// Nothing is stored.</exception>
    /// <exception cref="TokenStoreException">The store (or the lock beside it) cannot be written.
    /// The session does not use the tokens: either they are stored and in use, or neither.</exception>
    public ValueTask SetTokensAsync(TokenSet tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);

        // Invariant 10: these go into a header on every request, so they are held to the rules
        // a server's answer is held to.
        if (!AccessTokenSyntax.IsValid(tokens.AccessToken))
        {
            throw new ArgumentException("The access token is not an RFC 6750 b64token (letters, digits, -._~+/ and trailing =), so it cannot be sent in a header.", nameof(tokens));
        }

        if (_schemeOverride is null && !AccessTokenSyntax.IsSupportedType(tokens.TokenType))
        {
            throw new ArgumentException("The token type is not Bearer, the only type this library implements; set DeviceAuthOptions.AuthorizationScheme to send the token with another scheme.", nameof(tokens));
        }

        return StoreAndUseAsync(tokens, cancellationToken);
    }

    /// <summary>Stores the tokens under the refresh lock, then uses them; a store failure leaves the session as it was.</summary>
    private async ValueTask StoreAndUseAsync(TokenSet tokens, CancellationToken cancellationToken)
    {
        var handle = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        await using (handle.ConfigureAwait(false))
        {
            await _store.SetAsync(StoreKey, tokens, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _generation++;
                _snapshot = CreateSnapshot(tokens);
                _state = SessionState.SignedIn;
                _signedOutReason = null;
            }
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
        var tokens = await RunDeviceFlowAsync(onDeviceCode, cancellationToken).ConfigureAwait(false);
        await StoreAndUseAsync(tokens, cancellationToken).ConfigureAwait(false);
        Log.SignedIn(_logger, Name);
    }

    /// <summary>
    /// Signs the user in with the device authorization grant, showing the code through
    /// <see cref="DeviceAuthOptions.OnDeviceCode"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops polling at once.</param>
    /// <returns>A task that completes when the tokens are stored and in use.</returns>
    /// <exception cref="InvalidOperationException"><see cref="DeviceAuthOptions.OnDeviceCode"/> is not set.</exception>
    /// <exception cref="DeviceAuthorizationException">The user declined, the code expired, or the server refused.</exception>
    /// <exception cref="TokenStoreException">The user approved, but the store cannot be written; the session does not use the tokens.</exception>
    public Task SignInAsync(CancellationToken cancellationToken = default) =>
        SignInAsync(_onDeviceCode ?? throw new InvalidOperationException($"Set DeviceAuthOptions.OnDeviceCode for client '{Name}', or pass a callback."), cancellationToken);

    /// <summary>
    /// Signs out: deletes the stored tokens, moves to <see cref="SessionState.SignedOut"/>, and,
    /// when the server has a revocation endpoint (RFC 7009), revokes the refresh token there.
    /// Does not raise <see cref="Unauthorized"/>. A failed revocation is reported, not thrown.
    /// </summary>
    /// <param name="cancellationToken">Cancels the store delete and the revocation.</param>
    /// <returns>What happened at the server.</returns>
    public async Task<RevocationResult> SignOutAsync(CancellationToken cancellationToken = default)
    {
        string? refreshToken;
        var handle = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        await using (handle.ConfigureAwait(false))
        {
            try
            {
                refreshToken = (await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false))?.RefreshToken;
            }
            catch (TokenStoreException)
            {
                refreshToken = null;
            }

            refreshToken ??= _snapshot?.Tokens.RefreshToken;
            await _store.RemoveAsync(StoreKey, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _generation++;
                _snapshot = null;
                _state = SessionState.SignedOut;
                _signedOutReason = null;
                _signedOutAtTicks = _time.GetUtcNow().UtcTicks;
            }
        }

        var result = await RevokeAsync(refreshToken, cancellationToken).ConfigureAwait(false);
        Log.SignedOut(_logger, Name, result);
        return result;
    }

    /// <summary>The device flow with its span, metric and failure log; the caller stores the tokens.</summary>
    private async Task<TokenSet> RunDeviceFlowAsync(Func<OnDeviceCodeArguments, ValueTask> onDeviceCode, CancellationToken cancellationToken)
    {
        using var activity = DeviceAuthActivities.StartShared("AuthHandler.SignIn", Name);
        if (activity is not null)
        {
            // Inside this async method only: the sign-in's HTTP calls nest under its span.
            Activity.Current = activity;
        }

        try
        {
            var tokens = await _deviceFlow.RunAsync(onDeviceCode, cancellationToken).ConfigureAwait(false);
            _metrics.SignIn(Name, "signed_in");
            activity?.SetTag(DeviceAuthMetrics.OutcomeTag, "signed_in");
            return tokens;
        }
        catch (DeviceAuthorizationException ex)
        {
            var outcome = DeviceAuthMetrics.Snake(ex.Failure.ToString());
            Log.SignInFailed(_logger, Name, ex.Failure, ex.Error);
            _metrics.SignIn(Name, outcome);
            activity?.SetTag(DeviceAuthMetrics.OutcomeTag, outcome);
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
    }

    private async Task<RevocationResult> RevokeAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken is null)
        {
            return RevocationResult.NothingToRevoke;
        }

        try
        {
            var endpoint = await _server.GetRevocationEndpointAsync(cancellationToken).ConfigureAwait(false);
            if (endpoint is null)
            {
                return RevocationResult.NotSupported;
            }

            if (await _tokenClient.RevokeAsync(endpoint, refreshToken, cancellationToken).ConfigureAwait(false))
            {
                return RevocationResult.Revoked;
            }

            Log.RevocationFailed(_logger, Name, null);
        }
        catch (Exception ex) when (ex is TokenEndpointException or DiscoveryException)
        {
            Log.RevocationFailed(_logger, Name, ex);
        }

        return RevocationResult.Failed;
    }

    /// <summary>Stops any refresh in flight. Waiting requests get a transient failure.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops any refresh in flight. Waiting requests get a transient failure.</summary>
    public void Dispose()
    {
        if (!_lifetime.IsCancellationRequested)
        {
            _lifetime.Cancel();
        }
    }

    /// <summary>Completes when the latest refresh has published its outcome and raised its events.</summary>
    internal Task WhenRefreshCompleted() => Volatile.Read(ref _latestRun) ?? Task.CompletedTask;

    /// <summary>
    /// The token for a request, or null when a sign-in is required. The hot path: when the
    /// token is fresh this is one volatile read and a clock read, with no allocation.
    /// </summary>
    internal ValueTask<TokenSnapshot?> GetTokenAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null)
        {
            var now = _time.GetUtcNow();
            if (now < snapshot.RefreshAt)
            {
                return new ValueTask<TokenSnapshot?>(snapshot);
            }

            if (now < snapshot.MustRefreshAt)
            {
                RefreshAhead(snapshot, now);
                return new ValueTask<TokenSnapshot?>(snapshot);
            }
        }
        else if (_state == SessionState.SignedOut && !MayLeaveSignedOut())
        {
            return new ValueTask<TokenSnapshot?>((TokenSnapshot?)null);
        }

        return WaitForTokenAsync(snapshot, cancellationToken);
    }

    /// <summary>
    /// Compare-and-refresh after the API rejected <paramref name="rejected"/>: if another caller
    /// has already replaced it, returns the replacement without a new refresh. Returns null when
    /// a sign-in is required; throws <see cref="TokenEndpointException"/> on a transient failure.
    /// </summary>
    internal async ValueTask<TokenSnapshot?> RefreshAsync(TokenSnapshot rejected, CancellationToken cancellationToken)
    {
        var outcome = await JoinRefresh(rejected).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is not null)
        {
            throw outcome.NewException();
        }

        return outcome.Snapshot;
    }

    private async ValueTask<TokenSnapshot?> WaitForTokenAsync(TokenSnapshot? stale, CancellationToken cancellationToken)
    {
        var outcome = await JoinRefresh(stale).WaitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Whether a signed-out session should look again: with sign-in on demand always, otherwise
    /// once the store may have changed (another process signed in), at most every few seconds.
    /// </summary>
    private bool MayLeaveSignedOut() =>
        _signInOnDemand || _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _signedOutAtTicks) + SignedOutRecheckInterval.Ticks;

    private void RefreshAhead(TokenSnapshot snapshot, DateTimeOffset now)
    {
        // Lock-free checks first, so requests inside the window do not contend while one
        // background refresh runs or while a failed one backs off.
        if (_pending is not null || now.UtcTicks < Volatile.Read(ref _backgroundRetryAtTicks))
        {
            return;
        }

        _ = JoinRefresh(snapshot);
    }

    /// <summary>
    /// Joins the refresh in flight or starts one for <paramref name="replacing"/> (null: the
    /// first read of the store). Never starts a second refresh while one runs.
    /// </summary>
    private Task<RefreshOutcome> JoinRefresh(TokenSnapshot? replacing)
    {
        TaskCompletionSource<RefreshOutcome> pending;
        int generation;
        lock (_gate)
        {
            var current = _snapshot;
            if (current is not null && !ReferenceEquals(current, replacing))
            {
                // Someone already replaced the token this caller has: use theirs.
                return Task.FromResult(RefreshOutcome.Token(current));
            }

            if (current is null && _state == SessionState.SignedOut && !MayLeaveSignedOut())
            {
                return SignedOutOutcome;
            }

            if (_pending is { } running)
            {
                Log.JoinedRefresh(_logger, Name);
                _metrics.Joined(Name);
                if (Activity.Current is { } waiting)
                {
                    Volatile.Read(ref _refreshActivity)?.AddLink(new ActivityLink(waiting.Context));
                }

                return running.Task;
            }

            pending = new TaskCompletionSource<RefreshOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = pending;
            generation = _generation;
        }

        // The span starts here, so that requests joining before the work runs can link to it.
        var activity = DeviceAuthActivities.StartShared("AuthHandler.Refresh", Name);
        Volatile.Write(ref _refreshActivity, activity);

        // On the thread pool: the request that happens to start a refresh (a refresh-ahead above
        // all) must not pay for the lock, the store and building the token request itself.
        Volatile.Write(ref _latestRun, Task.Run(() => RunRefreshAsync(pending, replacing, generation, activity)));
        return pending.Task;
    }

    /// <summary>Runs one refresh to completion and publishes its outcome. Never throws.</summary>
    private async Task RunRefreshAsync(TaskCompletionSource<RefreshOutcome> pending, TokenSnapshot? replacing, int generation, Activity? activity)
    {
        var started = _time.GetTimestamp();
        using var span = activity;
        Activity.Current = activity;
        RefreshOutcome outcome;
        try
        {
            outcome = await RefreshCoreAsync(replacing, _lifetime.Token).ConfigureAwait(false);
            if (outcome.SignedOutReason is not null && _signInOnDemand)
            {
                outcome = await SignInOnDemandAsync(_lifetime.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // A store or lock failure, or the session being disposed: transient, tokens kept.
            var failure = new TokenEndpointException(TokenEndpointFailure.Transient, $"Refreshing the access token failed: {ex.Message}", innerException: ex);
            Log.RefreshFailed(_logger, Name, failure.Failure, null, null, ex);
            outcome = RefreshOutcome.Failed(failure);
        }

        var signedOut = false;
        lock (_gate)
        {
            if (generation != _generation)
            {
                // The app set or removed tokens meanwhile; its choice stands.
                outcome = _snapshot is { } current ? RefreshOutcome.Token(current) : RefreshOutcome.SignedOut(UnauthorizedReason.NoTokens);
            }
            else if (outcome.Failure is null && outcome.Snapshot is { } snapshot)
            {
                _snapshot = snapshot;
                _state = SessionState.SignedIn;
            }
            else if (outcome.SignedOutReason is not null)
            {
                // The signal fires on the transition only: a signed-out session that looks at
                // the store again and still finds nothing stays quiet.
                signedOut = _state != SessionState.SignedOut;
                _snapshot = null;
                _state = SessionState.SignedOut;
                _signedOutReason = outcome.SignedOutReason;
                _signedOutAtTicks = _time.GetUtcNow().UtcTicks;
            }
            else
            {
                // A transient failure keeps the tokens: the ones held, or the ones just read from
                // the store on the first request.
                if (_snapshot is null && outcome.Snapshot is { } stored)
                {
                    _snapshot = stored;
                    _state = SessionState.SignedIn;
                }

                // A server that asked for a longer pause (Retry-After) gets it from refresh-ahead.
                var retryDelay = outcome.Failure?.RetryAfter is { } asked && asked > _refreshRetryDelay ? asked : _refreshRetryDelay;
                Volatile.Write(ref _backgroundRetryAtTicks, (_time.GetUtcNow() + retryDelay).UtcTicks);
            }

            _pending = null;
        }

        var outcomeName = DescribeOutcome(outcome, replacing);
        _metrics.Refreshed(Name, outcomeName, _time.GetElapsedTime(started));
        activity?.SetTag(DeviceAuthMetrics.OutcomeTag, outcomeName);
        if (outcome.Failure is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcomeName);
        }

        pending.SetResult(outcome);

        if (signedOut)
        {
            _metrics.Unauthorized(Name, outcome.SignedOutReason!.Value);
            if (outcome.StoreFailure is { } storeFailure)
            {
                Log.StoreUnreadable(_logger, Name, storeFailure);
            }

            Log.SignInRequired(_logger, Name, outcome.SignedOutReason!.Value);
            await RaiseUnauthorizedAsync(new OnUnauthorizedArguments(Name, outcome.SignedOutReason!.Value, outcome.Error)).ConfigureAwait(false);
        }
        else if (outcome.Refreshed)
        {
            RaiseRefreshed(new OnRefreshedArguments(Name, outcome.Snapshot!.Tokens.ExpiresAt, outcome.RefreshTokenRotated));
        }
    }

    private async Task<RefreshOutcome> RefreshCoreAsync(TokenSnapshot? replacing, CancellationToken cancellationToken)
    {
        IAsyncDisposable handle;
        try
        {
            handle = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException ex) when (_refreshLock is FileRefreshLock)
        {
            // The lock file cannot be created, so neither can a token file beside it. Any other
            // lock's failure (Redis down) says nothing about the store and stays a plain transient
            // failure: reading the store as well would only double the wait on the outage.
            return await WithoutLockAsync(replacing, ex, cancellationToken).ConfigureAwait(false);
        }

        await using (handle.ConfigureAwait(false))
        {
            // Invariant 5: read the refresh token inside the lock. Another session or process
            // may have refreshed since this caller read its token.
            TokenSet? stored;
            try
            {
                stored = await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false);
            }
            catch (TokenStoreException ex) when (!ex.IsTransient)
            {
                // A corrupted entry: signed out, and the entry is left for a new sign-in to replace.
                return RefreshOutcome.SignedOut(UnauthorizedReason.TokenStoreUnreadable, storeFailure: ex);
            }

            if (stored is null)
            {
                return SignedOut(UnauthorizedReason.NoTokens, null);
            }

            // A stored access token that cannot go into a header (tampered, or written by an older
            // version) is treated as expired: refreshed if it can be, never sent, never kept.
            var storedSnapshot = UsableSnapshot(stored);
            if (storedSnapshot is not null && stored.AccessToken != replacing?.Tokens.AccessToken && _time.GetUtcNow() < storedSnapshot.MustRefreshAt)
            {
                if (replacing is not null)
                {
                    Log.AdoptedStoredTokens(_logger, Name);
                }

                return RefreshOutcome.Token(storedSnapshot);
            }

            if (stored.RefreshToken is null)
            {
                // The API rejected this access token and nothing can replace it: the entry is dead.
                // Removing it keeps a signed-out session that looks at the store again from
                // adopting it, sending it, and signalling once more.
                await RemoveStoredAsync(cancellationToken).ConfigureAwait(false);
                return SignedOut(UnauthorizedReason.NoRefreshToken, null);
            }

            if (stored.RefreshTokenExpiresAt <= _time.GetUtcNow())
            {
                return SignedOut(UnauthorizedReason.RefreshTokenExpired, null);
            }

            try
            {
                return await RedeemAsync(stored, cancellationToken).ConfigureAwait(false);
            }
            catch (TokenEndpointException ex)
            {
                Log.RefreshFailed(_logger, Name, ex.Failure, (int?)ex.StatusCode, ex.Error, ex);
                return RefreshOutcome.Failed(ex, storedSnapshot);
            }
        }
    }

    /// <summary>Redeems the stored refresh token; the caller holds the refresh lock.</summary>
    private async Task<RefreshOutcome> RedeemAsync(TokenSet stored, CancellationToken cancellationToken)
    {
        Uri tokenEndpoint;
        try
        {
            tokenEndpoint = await _server.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            throw new TokenEndpointException(
                ex.IsTransient ? TokenEndpointFailure.Transient : TokenEndpointFailure.ClientConfiguration,
                ex.Message,
                innerException: ex);
        }

        Log.RefreshStarted(_logger, Name);
        var answer = await _tokenClient.RefreshAsync(tokenEndpoint, stored.RefreshToken!, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();

        if (answer.Tokens is { } response)
        {
            var next = response.ToTokenSet(now, _defaultLifetime, stored);
            try
            {
                await _store.SetAsync(StoreKey, next, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The old refresh token may be rotated away already: the new tokens in memory
                // are the only valid ones, so keep serving them.
                Log.StoreWriteFailed(_logger, Name, ex);
            }

            Log.RefreshSucceeded(_logger, Name, (long)(next.ExpiresAt - now).TotalSeconds, response.RefreshToken is not null);
            return RefreshOutcome.FromRefresh(CreateSnapshot(next), response.RefreshToken is not null);
        }

        if (answer.Invalid is { } invalid)
        {
            if (answer.IssuedRefreshToken is { } issued && issued != stored.RefreshToken)
            {
                await KeepIssuedRefreshTokenAsync(stored, issued, cancellationToken).ConfigureAwait(false);
            }

            throw invalid;
        }

        var error = answer.Error!;
        if (error.IsGrantRejection)
        {
            // Invariant 5: a rejection is final only if no newer refresh token arrived while
            // we were asking (a process that shares the store but not this lock).
            var latest = await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false);
            if (latest is not null && latest.RefreshToken != stored.RefreshToken)
            {
                if (UsableSnapshot(latest) is not { } adopted)
                {
                    // Not signed out: the newer refresh token is alive, and the next refresh redeems it.
                    return RefreshOutcome.Failed(new TokenEndpointException(TokenEndpointFailure.Transient, "The store holds newer tokens whose access token cannot be sent; the next refresh replaces them."));
                }

                Log.AdoptedStoredTokens(_logger, Name);
                return RefreshOutcome.Token(adopted);
            }

            Log.RefreshRejected(_logger, Name, error.Code);
            try
            {
                await _store.RemoveAsync(StoreKey, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.StoreRemoveFailed(_logger, Name, ex);
            }

            return SignedOut(UnauthorizedReason.RefreshRejected, error.Code);
        }

        if (error.IsClientConfiguration)
        {
            Log.ClientConfigurationError(_logger, Name, error.Code);
            throw new TokenEndpointException(
                TokenEndpointFailure.ClientConfiguration,
                $"The token endpoint rejected the client '{Name}' with {error.Code}{error.DescriptionSuffix}. Check ClientId, ClientSecret, ClientAuthentication and Scope; the user stays signed in.",
                error.Code,
                answer.StatusCode);
        }

        throw new TokenEndpointException(
            TokenEndpointFailure.Transient,
            $"The token endpoint answered {error.Code}{error.DescriptionSuffix}; the tokens are kept.",
            error.Code,
            answer.StatusCode);
    }

    /// <summary>
    /// The server answered with a refresh token but no usable access token: with rotation the
    /// refresh token just redeemed may be spent, so the new one replaces it in the store (beside
    /// the current access token) and the next refresh redeems it.
    /// </summary>
    private async Task KeepIssuedRefreshTokenAsync(TokenSet stored, string issued, CancellationToken cancellationToken)
    {
        var kept = new TokenSet(stored.AccessToken, stored.ExpiresAt)
        {
            TokenType = stored.TokenType,
            RefreshToken = issued,
            Scope = stored.Scope,
            IssuedAt = stored.IssuedAt,
        };
        try
        {
            await _store.SetAsync(StoreKey, kept, cancellationToken).ConfigureAwait(false);
            Log.KeptIssuedRefreshToken(_logger, Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreWriteFailed(_logger, Name, ex);
        }
    }

    private static RefreshOutcome SignedOut(UnauthorizedReason reason, string? error) => RefreshOutcome.SignedOut(reason, error);

    /// <summary>Deletes tokens the server rejected; a failure is logged, the session signs out regardless.</summary>
    private async Task RemoveStoredAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.RemoveAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreRemoveFailed(_logger, Name, ex);
        }
    }

    private static string DescribeOutcome(RefreshOutcome outcome, TokenSnapshot? replacing) => outcome switch
    {
        { Failure.Failure: TokenEndpointFailure.ClientConfiguration } => "client_configuration",
        { Failure: not null } => "transient",
        { SignedOutReason: UnauthorizedReason.RefreshRejected } => "rejected",
        { SignedOutReason: not null } => "signed_out",
        { Refreshed: true } => "refreshed",
        _ => replacing is null ? "loaded" : "adopted",
    };

    /// <summary>
    /// Sign-in on demand: the session has no usable tokens, so it runs the device flow through
    /// <see cref="DeviceAuthOptions.OnDeviceCode"/>, once for all waiting requests.
    /// </summary>
    private async Task<RefreshOutcome> SignInOnDemandAsync(CancellationToken cancellationToken)
    {
        TokenSet tokens;
        try
        {
            tokens = await RunDeviceFlowAsync(_onDeviceCode!, cancellationToken).ConfigureAwait(false);
        }
        catch (DeviceAuthorizationException ex)
        {
            return RefreshOutcome.SignedOut(UnauthorizedReason.SignInFailed, ex.Error);
        }

        try
        {
            var handle = await _refreshLock.AcquireAsync(StoreKey, cancellationToken).ConfigureAwait(false);
            await using (handle.ConfigureAwait(false))
            {
                await _store.SetAsync(StoreKey, tokens, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // No caller to report to: the user approved, so the tokens serve this process.
            Log.StoreWriteFailed(_logger, Name, ex);
        }

        Log.SignedIn(_logger, Name);
        return RefreshOutcome.Token(CreateSnapshot(tokens));
    }

    /// <summary>Computes the header value and the refresh instants once per token.</summary>
    private TokenSnapshot CreateSnapshot(TokenSet tokens)
    {
        var header = (_schemeOverride ?? tokens.TokenType) + " " + tokens.AccessToken;
        if (tokens.RefreshToken is null)
        {
            // Nothing to refresh with: use the token until the API rejects it.
            return new TokenSnapshot(tokens, header, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue);
        }

        // Invariant 4: the window is the smaller of the option and half the lifetime; the skew is
        // capped at a quarter of the lifetime so short-lived tokens are not always "expired".
        var window = _refreshWindow;
        var skew = _expirySkew;
        if (tokens.IssuedAt is { } issuedAt && tokens.ExpiresAt > issuedAt)
        {
            var lifetime = tokens.ExpiresAt - issuedAt;
            window = Min(window, lifetime / 2);
            skew = Min(skew, lifetime / 4);
        }

        // Saturating: an expiry near DateTimeOffset.MinValue (a stored 0001-01-01) reads as
        // expired and is refreshed, instead of throwing on every request (invariant 12).
        var mustRefreshAt = SaturatingTime.Subtract(tokens.ExpiresAt, skew);
        var refreshAt = Min(SaturatingTime.Subtract(tokens.ExpiresAt, window), mustRefreshAt);
        return new TokenSnapshot(tokens, header, refreshAt, mustRefreshAt);
    }

    /// <summary>The snapshot of tokens read from a store, or null when their access token must not reach a header.</summary>
    private TokenSnapshot? UsableSnapshot(TokenSet tokens)
    {
        if (AccessTokenSyntax.IsValid(tokens.AccessToken) && (_schemeOverride is not null || AccessTokenSyntax.IsSupportedType(tokens.TokenType)))
        {
            return CreateSnapshot(tokens);
        }

        Log.StoredTokenUnusable(_logger, Name);
        return null;
    }

    /// <summary>
    /// The file refresh lock cannot be had (an unwritable storage directory). Reading redeems
    /// nothing, so the store can still say that there is nothing to refresh (signed out, rather
    /// than a transient error on every request) or that it holds a token that needs no refresh. Redeeming a refresh token without the lock could race
    /// another process (RFC 9700 §4.14), so anything else is a transient failure.
    /// </summary>
    private async Task<RefreshOutcome> WithoutLockAsync(TokenSnapshot? replacing, TokenStoreException lockFailure, CancellationToken cancellationToken)
    {
        TokenSet? stored;
        try
        {
            stored = await _store.GetAsync(StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (TokenStoreException ex) when (!ex.IsTransient)
        {
            return RefreshOutcome.SignedOut(UnauthorizedReason.TokenStoreUnreadable, storeFailure: ex);
        }

        if (stored is null && replacing is null)
        {
            return SignedOut(UnauthorizedReason.NoTokens, null);
        }

        var storedSnapshot = stored is null ? null : UsableSnapshot(stored);
        if (storedSnapshot is not null && stored!.AccessToken != replacing?.Tokens.AccessToken && _time.GetUtcNow() < storedSnapshot.MustRefreshAt)
        {
            return RefreshOutcome.Token(storedSnapshot);
        }

        var failure = new TokenEndpointException(TokenEndpointFailure.Transient, $"The access token cannot be refreshed: {lockFailure.Message}", innerException: lockFailure);
        Log.RefreshFailed(_logger, Name, failure.Failure, null, null, lockFailure);
        return RefreshOutcome.Failed(failure, storedSnapshot);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Every subscriber and the options callback run, whatever the others throw.</summary>
    private async ValueTask RaiseUnauthorizedAsync(OnUnauthorizedArguments arguments)
    {
        Raise(Unauthorized, arguments);
        if (_onUnauthorized is not null)
        {
            try
            {
                await _onUnauthorized(arguments).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.SignalHandlerFailed(_logger, Name, ex);
            }
        }
    }

    private void RaiseRefreshed(OnRefreshedArguments arguments) => Raise(Refreshed, arguments);

    private void Raise<T>(EventHandler<T>? handlers, T arguments)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<T>)handler).Invoke(this, arguments);
            }
            catch (Exception ex)
            {
                Log.SignalHandlerFailed(_logger, Name, ex);
            }
        }
    }
}
