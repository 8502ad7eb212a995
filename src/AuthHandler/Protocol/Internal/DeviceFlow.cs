using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Protocol.Internal;

/// <summary>
/// The device authorization grant (RFC 8628): request the codes, show them, poll the token
/// endpoint until the user approves, declines, or the code expires.
/// </summary>
internal sealed class DeviceFlow
{
    private const string DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>RFC 8628 §3.5: slow_down adds 5 seconds to this and every later poll.</summary>
    private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

    /// <summary>After a transient poll failure the next poll waits longer, up to this.</summary>
    private static readonly TimeSpan MaxTransientBackoff = TimeSpan.FromMinutes(1);

    private readonly string _clientName;
    private readonly TokenEndpointClient _client;
    private readonly AuthorizationServer _server;
    private readonly string? _scope;
    private readonly KeyValuePair<string, string>[] _extraParameters;
    private readonly TimeSpan _defaultTokenLifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DPoPContext _dpop;

    public DeviceFlow(
        string clientName,
        TokenEndpointClient client,
        AuthorizationServer server,
        string? scope,
        IEnumerable<KeyValuePair<string, string>> extraParameters,
        TimeSpan defaultTokenLifetime,
        TimeProvider time,
        ILogger logger,
        DPoPContext dpop)
    {
        _dpop = dpop;
        _clientName = clientName;
        _client = client;
        _server = server;
        _scope = scope;
        _extraParameters = [.. extraParameters];
        _defaultTokenLifetime = defaultTokenLifetime;
        _time = time;
        _logger = logger;
    }

    public async Task<TokenSet> RunAsync(Func<OnDeviceCodeArguments, ValueTask> onDeviceCode, CancellationToken cancellationToken)
    {
        Uri deviceEndpoint, tokenEndpoint;
        try
        {
            deviceEndpoint = await _server.GetDeviceAuthorizationEndpointAsync(cancellationToken).ConfigureAwait(false);
            tokenEndpoint = await _server.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Unavailable, ex.Message, innerException: ex);
        }

        // RFC 9449 §5: a new key per attempt; every poll carries a proof of it, so the grant the
        // user approves is bound to it.
        var dpop = await _dpop.StartSignInAsync(_server, cancellationToken).ConfigureAwait(false);
        var form = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrWhiteSpace(_scope))
        {
            form.Add(new("scope", _scope));
        }

        form.AddRange(_extraParameters);
        var authorization = await _client.RequestDeviceCodeAsync(deviceEndpoint, form, cancellationToken).ConfigureAwait(false);
        var deadline = _time.GetUtcNow() + authorization.ExpiresIn;
        Log.DeviceCodeIssued(_logger, _clientName, (long)authorization.ExpiresIn.TotalSeconds, (long)authorization.Interval.TotalSeconds);

        await onDeviceCode(new OnDeviceCodeArguments(
            _clientName,
            authorization.UserCode,
            authorization.VerificationUri,
            authorization.VerificationUriComplete,
            deadline)).ConfigureAwait(false);

        var interval = authorization.Interval;
        var wait = interval;
        while (true)
        {
            var remaining = deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw Expired();
            }

            var delay = wait < remaining ? wait : remaining;

            Log.DevicePollWaiting(_logger, _clientName, delay.TotalSeconds);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            if (_time.GetUtcNow() >= deadline)
            {
                throw Expired();
            }

            var result = await _client.PostAsync(
                tokenEndpoint,
                [new("grant_type", DeviceCodeGrantType), new("device_code", authorization.DeviceCode)],
                idempotent: true,
                dpop?.Writer,
                cancellationToken).ConfigureAwait(false);
            if (result.Kind == TokenResultKind.Issued)
            {
                return result.Tokens!.ToTokenSet(_time.GetUtcNow(), _defaultTokenLifetime, previous: null, dpop?.StoredKey);
            }

            if (result is { Final: true, Failure: { } final })
            {
                // The server and the client disagree about DPoP: the next poll would be answered
                // alike, or with the code already spent.
                throw new DeviceAuthorizationException(DeviceAuthorizationFailure.InvalidResponse, final.Message, innerException: final);
            }

            if (result.Error is not { } error)
            {
                // Not the user's answer (unreachable, a 5xx, a 2xx that is not a usable token
                // response): keep polling, less often, until the deadline. If the server did
                // issue tokens, its next answer says the code is spent.
                wait = wait * 2 < MaxTransientBackoff ? wait * 2 : MaxTransientBackoff;
                Log.DevicePollFailed(_logger, _clientName, (int?)result.StatusCode, (long)wait.TotalSeconds);
                continue;
            }

            wait = interval;
            switch (error.Code)
            {
                case OAuthErrorCodes.AuthorizationPending:
                    continue;
                case OAuthErrorCodes.SlowDown:
                    interval += SlowDownStep;
                    wait = interval;
                    continue;
                case OAuthErrorCodes.AccessDenied:
                    throw new DeviceAuthorizationException(DeviceAuthorizationFailure.AccessDenied, "The user declined the sign-in.", error.Code, error.Description);
                case OAuthErrorCodes.ExpiredToken:
                    throw Expired(error);
                default:
                    throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Rejected, $"The token endpoint refused the sign-in: {error.Code}{error.DescriptionSuffix}.", error.Code, error.Description);
            }
        }
    }

    private static DeviceAuthorizationException Expired(OAuthError? error = null) =>
        new(DeviceAuthorizationFailure.Expired, "The sign-in code expired before the user approved it; sign in again.", error?.Code, error?.Description);
}
