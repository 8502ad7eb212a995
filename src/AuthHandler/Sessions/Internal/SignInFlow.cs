using System.Diagnostics;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Sessions.Internal;

/// <summary>
/// Signing in and out at the authorization server: the device flow with its span, metric and
/// log, the sign-in on demand that a refresh falls back to, and revocation at sign-out.
/// </summary>
internal sealed class SignInFlow
{
    private readonly string _name;
    private readonly string _storeKey;
    private readonly ITokenStore _store;
    private readonly IRefreshLock _refreshLock;
    private readonly RefreshSchedule _schedule;
    private readonly Func<Func<OnDeviceCodeArguments, ValueTask>, CancellationToken, Task<TokenSet>> _deviceFlow;
    private readonly Func<CancellationToken, ValueTask<Uri?>> _revocationEndpoint;
    private readonly Func<Uri, string, CancellationToken, Task<bool>> _revoke;
    private readonly ILogger _logger;
    private readonly DeviceAuthMetrics _metrics;
    private readonly BrowserSignIn? _browser;

    /// <param name="name">The client name.</param>
    /// <param name="storeKey">Where the client's tokens are stored.</param>
    /// <param name="store">The token store.</param>
    /// <param name="refreshLock">The lock every store write is made under.</param>
    /// <param name="schedule">Turns the signed-in tokens into a snapshot.</param>
    /// <param name="deviceFlow">The wire part of the device flow (<see cref="DeviceFlow.RunAsync"/>): it
    /// returns the tokens or throws <see cref="DeviceAuthorizationException"/>.</param>
    /// <param name="revocationEndpoint">The revocation endpoint, or null when there is none
    /// (<see cref="AuthorizationServer.GetRevocationEndpointAsync"/>).</param>
    /// <param name="revoke">The RFC 7009 call (<see cref="TokenEndpointClient.RevokeAsync"/>): true
    /// when the server accepted it.</param>
    /// <param name="logger">The library's logger.</param>
    /// <param name="metrics">The library's metrics.</param>
    /// <param name="browser">The browser sign-in and the choice of method; null: the device flow only.</param>
    /// <remarks>The server calls come in as delegates: what this type decides (what each answer
    /// means for the session and the caller) does not depend on how they reach the wire.</remarks>
    public SignInFlow(
        string name,
        string storeKey,
        ITokenStore store,
        IRefreshLock refreshLock,
        RefreshSchedule schedule,
        Func<Func<OnDeviceCodeArguments, ValueTask>, CancellationToken, Task<TokenSet>> deviceFlow,
        Func<CancellationToken, ValueTask<Uri?>> revocationEndpoint,
        Func<Uri, string, CancellationToken, Task<bool>> revoke,
        ILogger logger,
        DeviceAuthMetrics metrics,
        BrowserSignIn? browser = null)
    {
        _name = name;
        _storeKey = storeKey;
        _store = store;
        _refreshLock = refreshLock;
        _schedule = schedule;
        _deviceFlow = deviceFlow;
        _revocationEndpoint = revocationEndpoint;
        _revoke = revoke;
        _logger = logger;
        _metrics = metrics;
        _browser = browser;
    }

    /// <summary>The method of <c>SignInAsync()</c> and of sign-in on demand.</summary>
    public SignInMethod DefaultMethod => _browser?.DefaultMethod ?? SignInMethod.DeviceCode;

    /// <summary>The device flow (RFC 8628) with its span, metric and failure log; the caller stores the tokens.</summary>
    public Task<TokenSet> RunDeviceFlowAsync(Func<OnDeviceCodeArguments, ValueTask> onDeviceCode, CancellationToken cancellationToken) =>
        RunWithTelemetryAsync(method: null, token => _deviceFlow(onDeviceCode, token), cancellationToken);

    /// <summary>
    /// Sign-in on demand: the refresh found no usable tokens, so the device flow runs through
    /// <see cref="DeviceAuthOptions.OnDeviceCode"/>, once for all waiting requests. A store
    /// failure has no caller to go to: it is logged and the tokens serve this process.
    /// </summary>
    public async Task<RefreshOutcome> SignInOnDemandAsync(Func<OnDeviceCodeArguments, ValueTask>? onDeviceCode, CancellationToken cancellationToken)
    {
        TokenSet tokens;
        try
        {
            tokens = await RunAsync(DefaultMethod, onDeviceCode, cancellationToken).ConfigureAwait(false);
        }
        catch (DeviceAuthorizationException ex)
        {
            return RefreshOutcome.SignedOut(SignInRequiredReason.SignInFailed, ex.Error);
        }
        catch (BrowserSignInException ex)
        {
            return RefreshOutcome.SignedOut(SignInRequiredReason.SignInFailed, ex.Error);
        }

        try
        {
            var lease = await _refreshLock.AcquireAsync(_storeKey, cancellationToken).ConfigureAwait(false);
            await using (lease.ConfigureAwait(false))
            {
                await _store.SetAsync(_storeKey, tokens, lease, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreWriteFailed(_logger, _name, ex);
        }

        Log.SignedIn(_logger, _name);
        return RefreshOutcome.Token(_schedule.CreateSnapshot(tokens));
    }

    /// <summary>
    /// Signs in with <paramref name="method"/>; the caller stores the tokens. Automatic: the
    /// browser when there is a display and the server supports the flow, else the device code;
    /// a browser that cannot be opened falls back to the device code.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device flow was chosen and <paramref name="onDeviceCode"/> is null.</exception>
    public async Task<TokenSet> RunAsync(SignInMethod method, Func<OnDeviceCodeArguments, ValueTask>? onDeviceCode, CancellationToken cancellationToken)
    {
        if (method == SignInMethod.Browser)
        {
            return await RunBrowserFlowAsync(cancellationToken).ConfigureAwait(false);
        }

        if (method == SignInMethod.Automatic && _browser is not null)
        {
            if (_browser.WhyNoBrowser() is { } why)
            {
                Log.DeviceCodeChosen(_logger, _name, why);
            }
            else if (!await _browser.IsSupported(cancellationToken).ConfigureAwait(false))
            {
                Log.DeviceCodeChosen(_logger, _name, "the authorization server has no authorization endpoint that allows PKCE S256");
            }
            else
            {
                try
                {
                    return await RunBrowserFlowAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (BrowserSignInException ex) when (ex.Failure == BrowserSignInFailure.BrowserNotOpened)
                {
                    Log.BrowserFallback(_logger, _name);
                }
            }
        }

        return await RunDeviceFlowAsync(
            onDeviceCode ?? throw new InvalidOperationException($"Set DeviceAuthOptions.OnDeviceCode for client '{_name}', or pass a callback: it signs in with the device code here, which needs it to show the code (or sign in with SignInMethod.Browser)."),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The browser sign-in (RFC 8252) with its span, metric and failure log; the caller stores the tokens.</summary>
    public Task<TokenSet> RunBrowserFlowAsync(CancellationToken cancellationToken)
    {
        var browser = _browser ?? throw new BrowserSignInException(BrowserSignInFailure.NotSupported, "This session has no browser sign-in.");
        return RunWithTelemetryAsync("browser", token => browser.Flow(browser.OpenBrowser, token), cancellationToken);
    }

    /// <summary>
    /// One sign-in with its span (tagged with <paramref name="method"/> when given), its metric and
    /// its failure log. The span is the current activity inside this method only, so the grant's
    /// HTTP calls nest under it.
    /// </summary>
    private async Task<TokenSet> RunWithTelemetryAsync(string? method, Func<CancellationToken, Task<TokenSet>> grant, CancellationToken cancellationToken)
    {
        using var activity = DeviceAuthActivities.StartShared("AuthHandler.SignIn", _name);
        if (activity is not null)
        {
            Activity.Current = activity;
            if (method is not null)
            {
                activity.SetTag("authhandler.sign_in.method", method);
            }
        }

        try
        {
            var tokens = await grant(cancellationToken).ConfigureAwait(false);
            _metrics.SignIn(_name, "signed_in");
            activity?.SetTag(DeviceAuthMetrics.OutcomeTag, "signed_in");
            return tokens;
        }
        catch (DeviceAuthorizationException ex)
        {
            Log.SignInFailed(_logger, _name, ex.Failure, ex.Error);
            Failed(activity, ex.Failure.ToString());
            throw;
        }
        catch (BrowserSignInException ex)
        {
            Log.BrowserSignInFailed(_logger, _name, ex.Failure, ex.Error);
            Failed(activity, ex.Failure.ToString());
            throw;
        }
    }

    private void Failed(Activity? activity, string failure)
    {
        var outcome = DeviceAuthMetrics.Snake(failure);
        _metrics.SignIn(_name, outcome);
        activity?.SetTag(DeviceAuthMetrics.OutcomeTag, outcome);
        activity?.SetStatus(ActivityStatusCode.Error, outcome);
    }

    /// <summary>RFC 7009: revokes the refresh token at sign-out; reports a failure, never throws it.</summary>
    public async Task<RevocationResult> RevokeAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (refreshToken is null)
        {
            return RevocationResult.NothingToRevoke;
        }

        try
        {
            var endpoint = await _revocationEndpoint(cancellationToken).ConfigureAwait(false);
            if (endpoint is null)
            {
                return RevocationResult.NotSupported;
            }

            if (await _revoke(endpoint, refreshToken, cancellationToken).ConfigureAwait(false))
            {
                return RevocationResult.Revoked;
            }

            Log.RevocationFailed(_logger, _name, null);
        }
        catch (Exception ex) when (ex is TokenEndpointException or DiscoveryException)
        {
            Log.RevocationFailed(_logger, _name, ex);
        }

        return RevocationResult.Failed;
    }
}
