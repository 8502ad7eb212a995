using System.Diagnostics;
using AuthHandler.Diagnostics.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// What a finished refresh tells the world: the refresh metric and span, the log, and the
/// session's events and callback. Raised before the waiting requests resume, so an app sees
/// "refreshed" or "sign-in required" before the requests that waited for it return; the async
/// callback is waited for at most <see cref="CallbackBound"/>, so a slow one cannot hold them.
/// </summary>
internal sealed class SessionSignals
{
    /// <summary>How long waiting requests wait for <see cref="DeviceAuthOptions.OnSignInRequired"/>.</summary>
    public static readonly TimeSpan CallbackBound = TimeSpan.FromSeconds(5);

    private readonly string _name;
    private readonly Func<SignInRequiredEventArgs, ValueTask>? _onSignInRequired;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeviceAuthMetrics _metrics;

    public SessionSignals(string name, Func<SignInRequiredEventArgs, ValueTask>? onSignInRequired, TimeProvider time, ILogger logger, DeviceAuthMetrics metrics)
    {
        _name = name;
        _onSignInRequired = onSignInRequired;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    public event EventHandler<SignInRequiredEventArgs>? SignInRequired;

    public event EventHandler<RefreshedEventArgs>? Refreshed;

    /// <summary>The sender of the events: the public session.</summary>
    public object Sender { get; set; } = null!;

    /// <summary>
    /// Records a finished refresh and raises what it means. The span ends first: it must not stay
    /// open while app code runs.
    /// </summary>
    public async ValueTask RefreshEndedAsync(RefreshOutcome outcome, bool signedOutNow, bool startedFromStore, TimeSpan elapsed, Activity? activity)
    {
        var outcomeName = Describe(outcome, startedFromStore);
        if (startedFromStore && !CalledTokenEndpoint(outcome))
        {
            // The first read of the store found tokens to use, none, or could not read: no
            // refresh happened, and counting it as one would skew every refresh rate and latency.
            _metrics.StoreLoaded(_name, outcomeName);
        }
        else
        {
            _metrics.Refreshed(_name, outcomeName, elapsed);
        }

        if (activity is not null)
        {
            activity.SetTag(DeviceAuthMetrics.OutcomeTag, outcomeName);
            if (outcome.Failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcomeName);
            }

            activity.Dispose();
        }

        if (signedOutNow)
        {
            var reason = outcome.SignedOutReason!.Value;
            _metrics.SignInRequired(_name, reason);
            if (outcome.StoreFailure is { } storeFailure)
            {
                Log.StoreUnreadable(_logger, _name, storeFailure);
            }

            Log.SignInRequired(_logger, _name, reason);
            await RaiseUnauthorizedAsync(new SignInRequiredEventArgs(_name, reason, outcome.Error)).ConfigureAwait(false);
        }
        else if (outcome.Refreshed)
        {
            Raise(Refreshed, new RefreshedEventArgs(_name, outcome.Snapshot!.Tokens.ExpiresAt, outcome.RefreshTokenRotated));
        }
    }

    /// <summary>Whether the run presented a refresh token to the token endpoint: what makes it a refresh.</summary>
    private static bool CalledTokenEndpoint(RefreshOutcome outcome) =>
        outcome.Refreshed
        || outcome.Failure is TokenEndpointException
        || outcome.SignedOutReason is SignInRequiredReason.RefreshRejected or SignInRequiredReason.RefreshAnswerLost;

    private static string Describe(RefreshOutcome outcome, bool startedFromStore) => outcome switch
    {
        { Failure: TokenEndpointException { Failure: TokenEndpointFailure.ClientConfiguration } } => "client_configuration",
        { Failure: not null } => "transient",
        { SignedOutReason: SignInRequiredReason.RefreshRejected } => "rejected",
        { SignedOutReason: not null } => "signed_out",
        { Refreshed: true } => "refreshed",
        _ => startedFromStore ? "loaded" : "adopted",
    };

    /// <summary>Every subscriber and the options callback run, whatever the others throw.</summary>
    private async ValueTask RaiseUnauthorizedAsync(SignInRequiredEventArgs arguments)
    {
        Raise(SignInRequired, arguments);
        if (_onSignInRequired is null)
        {
            return;
        }

        Task callback;
        try
        {
            callback = _onSignInRequired(arguments).AsTask();
        }
        catch (Exception ex)
        {
            Log.SignalHandlerFailed(_logger, _name, ex);
            return;
        }

        try
        {
            await callback.WaitAsync(CallbackBound, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The waiting requests go on; the callback keeps running, and a failure is still logged.
            _ = callback.ContinueWith(
                (failed, state) => Log.SignalHandlerFailed(((SessionSignals)state!)._logger, ((SessionSignals)state!)._name, failed.Exception!),
                this,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        catch (Exception ex)
        {
            Log.SignalHandlerFailed(_logger, _name, ex);
        }
    }

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
                ((EventHandler<T>)handler).Invoke(Sender, arguments);
            }
            catch (Exception ex)
            {
                Log.SignalHandlerFailed(_logger, _name, ex);
            }
        }
    }
}
