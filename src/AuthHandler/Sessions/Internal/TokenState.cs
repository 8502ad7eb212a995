using AuthHandler.Storage.Internal;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// The session's state machine: the current snapshot, signed in or out (and why), the
/// generation that tells a finished refresh whether the app changed the tokens meanwhile, and
/// the two instants that throttle work (the next background retry, the next look at the store
/// while signed out). Transitions are methods; reads of the snapshot and the state are lock-free.
/// </summary>
internal sealed class TokenState : IDisposable
{
    /// <summary>How often a signed-out session looks at the store again for a sign-in made elsewhere.</summary>
    public static readonly TimeSpan SignedOutRecheckInterval = TimeSpan.FromSeconds(5);

    private readonly FreshnessTimer _freshness;
    private volatile TokenSnapshot? _snapshot;
    private volatile SessionState _state;
    private SignInRequiredReason? _signedOutReason;
    private long _backgroundRetryAtTicks;
    private long _signedOutAtTicks;

    // Bumped when the app sets or removes the tokens, so that a refresh that was already running
    // does not overwrite the app's choice when it completes.
    private int _generation;

    public TokenState(TimeProvider time) => _freshness = new FreshnessTimer(time);

    /// <summary>
    /// The lock of every transition. <see cref="RefreshCoordinator"/> takes it too, so that
    /// "is the token this caller has still current, and is a refresh running?" and "publish the
    /// refresh and end it" are each one atomic step.
    /// </summary>
    public Lock SyncRoot { get; } = new();

    /// <summary>The current snapshot: one volatile read, the hot path.</summary>
    public TokenSnapshot? Snapshot => _snapshot;

    public void Dispose() => _freshness.Dispose();

    public SessionState State => _state;

    public SignInRequiredReason? SignedOutReason
    {
        get
        {
            lock (SyncRoot)
            {
                return _signedOutReason;
            }
        }
    }

    /// <summary>The generation; read under <see cref="SyncRoot"/> when a refresh starts.</summary>
    public int Generation => _generation;

    /// <summary>The app signed in with these tokens.</summary>
    public void SignIn(TokenSnapshot snapshot)
    {
        lock (SyncRoot)
        {
            _generation++;
            _snapshot = snapshot;
            _state = SessionState.SignedIn;
            _signedOutReason = null;
            _freshness.Watch(snapshot);
        }
    }

    /// <summary>
    /// Takes tokens read from the store while nothing has been read yet (the state is still
    /// <see cref="SessionState.Unknown"/>): what the first request's read would have found. The
    /// generation stays, as this is not the app's choice: a first read that is running publishes
    /// over it as it would have anyway.
    /// </summary>
    public void AdoptStored(TokenSnapshot snapshot)
    {
        lock (SyncRoot)
        {
            if (_state != SessionState.Unknown || _snapshot is not null)
            {
                return;
            }

            _snapshot = snapshot;
            _state = SessionState.SignedIn;
            _freshness.Watch(snapshot);
        }
    }

    /// <summary>The app signed out: no reason, no signal.</summary>
    public void SignOut(DateTimeOffset now)
    {
        lock (SyncRoot)
        {
            _generation++;
            _snapshot = null;
            _state = SessionState.SignInRequired;
            _signedOutReason = null;
            _signedOutAtTicks = now.UtcTicks;
            _freshness.Watch(null);
        }
    }

    /// <summary>
    /// Whether a signed-out session should look again: with sign-in on demand always, otherwise
    /// once the store may have changed (another process signed in), at most every few seconds.
    /// </summary>
    public bool MayLeaveSignedOut(DateTimeOffset now, bool signInOnDemand) =>
        signInOnDemand || now.UtcTicks >= Volatile.Read(ref _signedOutAtTicks) + SignedOutRecheckInterval.Ticks;

    /// <summary>Whether a failed background refresh has backed off long enough to try again.</summary>
    public bool BackgroundRetryDue(DateTimeOffset now) => now.UtcTicks >= Volatile.Read(ref _backgroundRetryAtTicks);

    /// <summary>
    /// Applies a finished refresh, under <see cref="SyncRoot"/> (the caller holds it). Returns
    /// what the waiters get and whether this is the transition to signed out that raises the
    /// signal (a signed-out session that looks at the store again and still finds nothing stays
    /// quiet).
    /// </summary>
    public (RefreshOutcome Outcome, bool SignedOutNow) PublishLocked(RefreshOutcome outcome, int generation, DateTimeOffset now, TimeSpan retryDelay)
    {
        if (generation != _generation)
        {
            // The app set or removed tokens meanwhile; its choice stands.
            return (_snapshot is { } current ? RefreshOutcome.Token(current) : RefreshOutcome.SignedOut(SignInRequiredReason.NoTokens), false);
        }

        if (outcome.Failure is null && outcome.Snapshot is { } snapshot)
        {
            _snapshot = snapshot;
            _state = SessionState.SignedIn;
            _freshness.Watch(snapshot);
            return (outcome, false);
        }

        if (outcome.SignedOutReason is { } reason)
        {
            var signedOutNow = _state != SessionState.SignInRequired;
            _snapshot = null;
            _state = SessionState.SignInRequired;
            _signedOutReason = reason;
            _signedOutAtTicks = now.UtcTicks;
            _freshness.Watch(null);
            return (outcome, signedOutNow);
        }

        // A transient failure keeps the tokens: the ones held, or the ones just read from the
        // store on the first request. A server that asked for a longer pause (Retry-After) gets it
        // from refresh-ahead.
        if (_snapshot is null && outcome.Snapshot is { } stored)
        {
            _snapshot = stored;
            _state = SessionState.SignedIn;
            _freshness.Watch(stored);
        }

        var asked = (outcome.Failure as TokenEndpointException)?.RetryAfter;
        var delay = asked > retryDelay ? asked.Value : retryDelay;
        Volatile.Write(ref _backgroundRetryAtTicks, SaturatingTime.Add(now, delay).UtcTicks);
        return (outcome, false);
    }
}
