using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AuthHandler.Diagnostics.Internal;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Browser.Internal;

/// <summary>
/// The authorization code grant for native apps (RFC 8252) with PKCE S256 (RFC 7636): a loopback
/// listener, the authorization URL opened in the browser, the redirect checked (<c>state</c>,
/// RFC 9207 <c>iss</c>, <c>error</c>, <c>code</c>), the code redeemed at the token endpoint and,
/// with <c>openid</c>, the ID token's <c>nonce</c> checked. Every failure is a
/// <see cref="BrowserSignInException"/>; the listener is closed whatever happens.
/// </summary>
internal sealed class BrowserFlow
{
    private const int MaxIdTokenClaimLength = 512;

    private readonly string _clientName;
    private readonly string _clientId;
    private readonly TokenEndpointClient _client;
    private readonly AuthorizationServer _server;
    private readonly string? _scope;
    private readonly BrowserSignInOptions _options;
    private readonly TimeSpan _defaultTokenLifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DPoPContext _dpop;

    public BrowserFlow(
        string clientName,
        string clientId,
        TokenEndpointClient client,
        AuthorizationServer server,
        string? scope,
        BrowserSignInOptions options,
        TimeSpan defaultTokenLifetime,
        TimeProvider time,
        ILogger logger,
        DPoPContext dpop)
    {
        _dpop = dpop;
        _clientName = clientName;
        _clientId = clientId;
        _client = client;
        _server = server;
        _scope = scope;
        _options = options;
        _defaultTokenLifetime = defaultTokenLifetime;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether the server has an authorization endpoint that allows S256; false when discovery fails.</summary>
    public async ValueTask<bool> IsSupportedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _server.GetAuthorizationEndpointAsync(cancellationToken).ConfigureAwait(false) is { AllowsS256: true };
        }
        catch (DiscoveryException)
        {
            return false;
        }
    }

    /// <summary>
    /// The sign-in: returns the tokens or throws <see cref="BrowserSignInException"/> (or
    /// <see cref="OperationCanceledException"/>). <paramref name="openBrowser"/> shows the
    /// authorization URL; false means it could not.
    /// </summary>
    public async Task<TokenSet> RunAsync(Func<Uri, CancellationToken, ValueTask<bool>> openBrowser, CancellationToken cancellationToken)
    {
        AuthorizationEndpointInfo? info;
        Uri tokenEndpoint;
        try
        {
            info = await _server.GetAuthorizationEndpointAsync(cancellationToken).ConfigureAwait(false);
            tokenEndpoint = await _server.GetTokenEndpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DiscoveryException ex)
        {
            throw new BrowserSignInException(BrowserSignInFailure.Unavailable, ex.Message, innerException: ex);
        }

        if (info is null)
        {
            throw new BrowserSignInException(BrowserSignInFailure.NotSupported, "The authorization server has no authorization_endpoint, so the browser sign-in cannot be used; set Browser.AuthorizationEndpoint or sign in with the device code.");
        }

        if (!info.AllowsS256)
        {
            throw new BrowserSignInException(BrowserSignInFailure.NotSupported, "The authorization server's code_challenge_methods_supported does not include S256, so the browser sign-in cannot be used safely; sign in with the device code.");
        }

        // RFC 9449 §5, §10: with DPoP, a new key per attempt; the code is bound to it (dpop_jkt)
        // and redeemed with a proof of it, so the grant the user approves is bound to it.
        DPoPSignIn? dpop;
        try
        {
            dpop = await _dpop.StartSignInAsync(_server, cancellationToken).ConfigureAwait(false);
        }
        catch (DeviceAuthorizationException ex)
        {
            throw new BrowserSignInException(
                ex.Failure == DeviceAuthorizationFailure.Unavailable ? BrowserSignInFailure.Unavailable : BrowserSignInFailure.NotSupported,
                ex.Message,
                innerException: ex);
        }

        LoopbackListener listener;
        try
        {
            listener = LoopbackListener.Start(_options.UseIPv6, _options.RedirectPath, _time);
        }
        catch (SocketException ex)
        {
            throw new BrowserSignInException(BrowserSignInFailure.Unavailable, $"No loopback port could be opened for the redirect: {ex.Message}", innerException: ex);
        }

        await using (listener.ConfigureAwait(false))
        {
            // Fresh for each attempt: a verifier, state or nonce is never reused.
            var verifier = Pkce.NewVerifier();
            var state = Pkce.NewRandom();
            var nonce = AsksForOpenId(_scope) ? Pkce.NewRandom() : null;
            var url = AuthorizationUrl(info.Endpoint, listener.RedirectUri, state, Pkce.S256(verifier), nonce, dpop?.Writer.Key.Thumbprint);

            bool opened;
            try
            {
                opened = await openBrowser(url, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.BrowserLaunchFailed(_logger, _clientName, ex);
                opened = false;
            }

            if (!opened)
            {
                throw new BrowserSignInException(BrowserSignInFailure.BrowserNotOpened, "The browser could not be opened for the sign-in; sign in with the device code, or set Browser.LaunchBrowser.");
            }

            Log.BrowserSignInWaiting(_logger, _clientName, listener.RedirectUri, (long)_options.Timeout.TotalSeconds);
            LoopbackCallback callback;
            using (var timeout = new CancellationTokenSource(_options.Timeout, _time))
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    callback = await listener.WaitForCallbackAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new BrowserSignInException(BrowserSignInFailure.TimedOut, $"No answer from the browser reached the redirect listener within {_options.Timeout.TotalSeconds:0} s; sign in again.");
                }
            }

            try
            {
                var tokens = await CompleteAsync(callback, info, tokenEndpoint, listener.RedirectUri, state, verifier, nonce, dpop, cancellationToken).ConfigureAwait(false);
                callback.Respond(LandingPage.Succeeded);
                return tokens;
            }
            catch (BrowserSignInException ex)
            {
                callback.Respond(LandingPage.Failed(PageMessage(ex.Failure), Detail(ex)));
                throw;
            }
            catch (OperationCanceledException)
            {
                callback.Respond(LandingPage.Failed("The application stopped the sign-in.", null));
                throw;
            }
        }
    }

    private static bool AsksForOpenId(string? scope) =>
        scope is not null && scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid", StringComparer.Ordinal);

    private static string PageMessage(BrowserSignInFailure failure) => failure switch
    {
        BrowserSignInFailure.AccessDenied => "Sign-in failed: the request was declined.",
        BrowserSignInFailure.AuthorizationError => "Sign-in failed: the authorization server refused the request.",
        BrowserSignInFailure.StateMismatch => "Sign-in failed: this answer does not belong to the sign-in the application started.",
        BrowserSignInFailure.MissingCode => "Sign-in failed: the answer carried no authorization code.",
        BrowserSignInFailure.IssuerMismatch => "Sign-in failed: the answer came from another authorization server.",
        BrowserSignInFailure.NonceMismatch => "Sign-in failed: the ID token does not belong to this sign-in.",
        BrowserSignInFailure.TokenRejected => "Sign-in failed: the authorization server refused the code.",
        _ => "Sign-in failed: the authorization server could not be reached.",
    };

    private static string? Detail(BrowserSignInException ex) =>
        ex.Error is null ? null : ex.ErrorDescription is null ? ex.Error : $"{ex.Error}: {ex.ErrorDescription}";

    private async Task<TokenSet> CompleteAsync(
        LoopbackCallback callback,
        AuthorizationEndpointInfo info,
        Uri tokenEndpoint,
        Uri redirectUri,
        string state,
        string verifier,
        string? nonce,
        DPoPSignIn? dpop,
        CancellationToken cancellationToken)
    {
        // state first: an answer to another request (a forged or replayed redirect) decides nothing else.
        if (!Pkce.FixedTimeEquals(callback.Single("state"), state))
        {
            throw new BrowserSignInException(BrowserSignInFailure.StateMismatch, "The browser's redirect did not carry this sign-in's state; it is not an answer to it (a stale tab, or a forged request).");
        }

        // RFC 9207 §2.4: when present, iss must be the issuer's; when advertised, it must be present.
        if (callback.Has("iss") || info.RequiresIss)
        {
            if (!string.Equals(callback.Single("iss"), info.Issuer, StringComparison.Ordinal))
            {
                throw new BrowserSignInException(BrowserSignInFailure.IssuerMismatch, $"The browser's redirect did not name {info.Issuer} as its issuer (RFC 9207 iss); it may come from another authorization server.");
            }
        }

        if (callback.Has("error"))
        {
            var error = OAuthError.FromServer(callback.Single("error") ?? "invalid_request", callback.Single("error_description"));
            var code = error?.Code ?? "invalid_request";
            throw code == OAuthErrorCodes.AccessDenied
                ? new BrowserSignInException(BrowserSignInFailure.AccessDenied, "The user declined the sign-in.", code, error?.Description)
                : new BrowserSignInException(BrowserSignInFailure.AuthorizationError, $"The authorization server refused the sign-in: {code}{error?.DescriptionSuffix}.", code, error?.Description);
        }

        if (callback.Single("code") is not { Length: > 0 } authorizationCode)
        {
            throw new BrowserSignInException(BrowserSignInFailure.MissingCode, "The browser's redirect carried neither a single authorization code nor an error.");
        }

        // Not idempotent: a code is single-use (RFC 6749 §4.1.2), a second attempt could only fail or revoke.
        var result = await _client.PostAsync(
            tokenEndpoint,
            [
                new("grant_type", "authorization_code"),
                new("code", authorizationCode),
                new("redirect_uri", redirectUri.AbsoluteUri),
                new("code_verifier", verifier),
            ],
            idempotent: false,
            dpop?.Writer,
            cancellationToken).ConfigureAwait(false);
        if (result.Kind != TokenResultKind.Issued)
        {
            throw result.Error is { } tokenError
                ? new BrowserSignInException(BrowserSignInFailure.TokenRejected, $"The token endpoint refused the authorization code: {tokenError.Code}{tokenError.DescriptionSuffix}.", tokenError.Code, tokenError.Description)
                : result.Final
                    ? new BrowserSignInException(BrowserSignInFailure.NotSupported, $"The token endpoint's answer cannot be used with this client's settings: {result.Failure?.Message}", innerException: result.Failure)
                    : new BrowserSignInException(BrowserSignInFailure.Unavailable, $"The token endpoint did not redeem the authorization code: {result.Failure?.Message}", innerException: result.Failure);
        }

        var tokens = result.Tokens!;
        if (nonce is not null && !Pkce.FixedTimeEquals(ReadNonce(tokens.IdToken), nonce))
        {
            throw new BrowserSignInException(BrowserSignInFailure.NonceMismatch, tokens.IdToken is null
                ? "The token endpoint sent no ID token although openid was asked for, so the sign-in's nonce cannot be checked; nothing is stored."
                : "The ID token's nonce is not this sign-in's; nothing is stored.");
        }

        return tokens.ToTokenSet(_time.GetUtcNow(), _defaultTokenLifetime, previous: null, dpop?.StoredKey);
    }

    private Uri AuthorizationUrl(Uri endpoint, Uri redirectUri, string state, string challenge, string? nonce, string? dpopThumbprint)
    {
        var query = new StringBuilder(endpoint.Query.Length > 1 ? endpoint.Query[1..] + "&" : string.Empty);
        void Add(string name, string value) =>
            query.Append(query.Length == 0 || query[^1] == '&' ? string.Empty : "&")
                .Append(name).Append('=').Append(Uri.EscapeDataString(value));

        Add("response_type", "code");
        Add("client_id", _clientId);
        Add("redirect_uri", redirectUri.AbsoluteUri);
        if (!string.IsNullOrWhiteSpace(_scope))
        {
            Add("scope", _scope);
        }

        Add("state", state);
        Add("code_challenge", challenge);
        Add("code_challenge_method", "S256");
        if (nonce is not null)
        {
            Add("nonce", nonce);
        }

        if (dpopThumbprint is not null)
        {
            Add("dpop_jkt", dpopThumbprint);
        }

        return new UriBuilder(endpoint) { Query = query.ToString() }.Uri;
    }

    /// <summary>The ID token's <c>nonce</c> claim, decoded without validation as <c>AccountReader</c> does; null when absent or unreadable.</summary>
    private static string? ReadNonce(string? idToken)
    {
        var parts = idToken?.Split('.');
        if (parts is not { Length: 3 })
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]), new JsonDocumentOptions { MaxDepth = 16 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("nonce", out var value)
                && value.ValueKind == JsonValueKind.String
                && value.GetString() is { Length: <= MaxIdTokenClaimLength } text
                ? text
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
