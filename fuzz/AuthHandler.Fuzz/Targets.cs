using System.Net;
using System.Text;
using AuthHandler.Http.Internal;
using AuthHandler.Protocol.Internal;
using static AuthHandler.Fuzz.InvariantViolationException;

namespace AuthHandler.Fuzz;

/// <summary>
/// The parsers that read what a server sends. A crash is any exception other than the documented
/// ones: the token-response and WWW-Authenticate parsers never throw, the device-authorization
/// parser throws only <see cref="DeviceAuthorizationException"/> and the discovery parser only
/// <see cref="DiscoveryException"/>. Each target also checks the properties the callers rely on
/// and throws <see cref="InvariantViolationException"/> when one breaks.
/// </summary>
internal static class Targets
{
    public const string Token = "token";
    public const string WwwAuthenticate = "www-authenticate";
    public const string Device = "device";
    public const string Metadata = "metadata";

    // RFC 6749 §5.1 lifetimes are capped at this by the parser (TokenResponseParser.MaxLifetime).
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TokenSet Previous = new("previous-access", Now) { RefreshToken = "previous-refresh", RefreshTokenExpiresAt = Now.AddDays(30), Scope = "read" };

    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        [Token] = TokenResponse,
        [WwwAuthenticate] = WwwAuthenticateHeader,
        [Device] = DeviceAuthorization,
        [Metadata] = MetadataDocument,
    };

    /// <summary><see cref="TokenResponseParser.Parse"/>, then what the session does with a success.</summary>
    private static void TokenResponse(ReadOnlySpan<byte> input)
    {
        var result = TokenResponseParser.Parse(input);

        var outcomes = (result.Tokens is null ? 0 : 1) + (result.Error is null ? 0 : 1) + (result.InvalidReason is null ? 0 : 1);
        Check(outcomes == 1, "exactly one of Tokens, Error and InvalidReason is set");

        if (result.Tokens is { } tokens)
        {
            Check(AccessTokenSyntax.IsValid(tokens.AccessToken), "a token response's access token is an RFC 6750 b64token");
            Check(tokens.TokenType == "Bearer", "a token response's type is Bearer");
            Check(tokens.ExpiresIn is null || (tokens.ExpiresIn >= TimeSpan.FromSeconds(1) && tokens.ExpiresIn <= MaxLifetime), "expires_in is absent or within [1 s, 3650 d]");
            Check(tokens.RefreshTokenExpiresIn is null || (tokens.RefreshTokenExpiresIn >= TimeSpan.FromSeconds(1) && tokens.RefreshTokenExpiresIn <= MaxLifetime), "refresh_token_expires_in is absent or within [1 s, 3650 d]");
            Check(tokens.RefreshToken is null || tokens.RefreshToken.Length > 0, "an empty refresh_token counts as absent");
            Check(tokens.Scope is null || tokens.Scope.Length > 0, "an empty scope counts as absent");

            // The session turns every successful answer into a token set, with and without a previous one.
            var next = tokens.ToTokenSet(Now, TimeSpan.FromHours(1), Previous);
            Check(next.ExpiresAt > Now, "a new token set expires after it was received");
            Check(next.RefreshToken is not null, "a response without refresh_token keeps the previous one");
            _ = tokens.ToTokenSet(Now, TimeSpan.FromHours(1), previous: null).ToString();
        }

        if (result.Error is { } error)
        {
            Check(error.Code.Length > 0 && IsPrintableAscii(error.Code, Text.MaxCodeLength), "an OAuth error has a printable ASCII code of at most 64 characters");
            Check(error.Description is null || (error.Description.Length <= Text.MaxDescriptionLength + 1 && !error.Description.Any(char.IsControl)), "the description is bounded and has no control characters");
            _ = error.IsGrantRejection;
            _ = error.IsClientConfiguration;
        }
    }

    /// <summary>
    /// <see cref="WwwAuthenticateParser.Parse"/> on the input read as Latin-1 (how .NET reads header
    /// bytes), then <see cref="WwwAuthenticateParser.RefreshCanHelp"/> with each input line as one
    /// header value, compared with what the parsed challenges say.
    /// </summary>
    private static void WwwAuthenticateHeader(ReadOnlySpan<byte> input)
    {
        var header = Encoding.Latin1.GetString(input);
        foreach (var challenge in WwwAuthenticateParser.Parse(header))
        {
            Check(challenge.Scheme.Length > 0 && challenge.Scheme.All(IsTokenChar), "a scheme is a non-empty token");
            foreach (var (name, _) in challenge.Parameters)
            {
                Check(name.Length > 0 && name.All(IsTokenChar), "a parameter name is a non-empty token");
                Check(string.Equals(name, name.ToLowerInvariant(), StringComparison.Ordinal), "parameter names are lower case");
            }
        }

        // A header value from the wire holds no CR, LF or NUL; one line is one value.
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        var values = new List<string>();
        foreach (var line in header.Split('\n'))
        {
            var value = line.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\0", string.Empty, StringComparison.Ordinal);
            if (response.Headers.TryAddWithoutValidation("WWW-Authenticate", value))
            {
                values.Add(value);
            }
        }

        var canHelp = WwwAuthenticateParser.RefreshCanHelp(response.Headers, out var error);
        Check(error is null || IsPrintableAscii(error, 64), "the logged error code is printable ASCII of at most 64 characters");

        if (response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var stored))
        {
            Check(canHelp == ExpectedRefreshCanHelp(stored), "RefreshCanHelp agrees with the first Bearer error that Parse finds");
        }
    }

    /// <summary><see cref="DeviceAuthorizationResponse.Parse"/>: a response that is accepted is safe to show and to poll with.</summary>
    private static void DeviceAuthorization(ReadOnlySpan<byte> input)
    {
        DeviceAuthorizationResponse response;
        try
        {
            response = DeviceAuthorizationResponse.Parse(input);
        }
        catch (DeviceAuthorizationException ex)
        {
            Check(ex.Failure is DeviceAuthorizationFailure.InvalidResponse or DeviceAuthorizationFailure.Rejected, "a bad response is InvalidResponse or Rejected");
            Check(IsPrintableAscii(ex.Message, 1024), "the message is printable ASCII");
            return;
        }

        Check(!string.IsNullOrEmpty(response.DeviceCode), "an accepted response has a device_code");
        Check(IsPrintableAscii(response.UserCode, 64), "the user code shown is printable ASCII of at most 64 characters");
        Check(response.VerificationUri.IsAbsoluteUri && OriginSet.IsSecure(response.VerificationUri), "the verification URI is absolute https (or loopback http)");
        Check(response.VerificationUriComplete is null || (response.VerificationUriComplete.IsAbsoluteUri && OriginSet.IsSecure(response.VerificationUriComplete)), "the complete verification URI is absent or absolute https");
        Check(response.Interval >= TimeSpan.FromSeconds(1) && response.Interval < TimeSpan.FromDays(1), "the poll interval is within [1 s, 1 d)");
        Check(response.ExpiresIn >= TimeSpan.Zero && response.ExpiresIn < TimeSpan.FromDays(1), "the code lifetime is within [0, 1 d)");
        _ = Now + response.ExpiresIn;
        _ = response.ToString();
        _ = response.VerificationUri.ToString();
    }

    /// <summary><see cref="MetadataDocumentParser.Parse"/>: an accepted document names an issuer and only https endpoints.</summary>
    private static void MetadataDocument(ReadOnlySpan<byte> input)
    {
        AuthorizationServerMetadata metadata;
        try
        {
            metadata = MetadataDocumentParser.Parse(input, "https://id.example.com/.well-known/oauth-authorization-server");
        }
        catch (DiscoveryException)
        {
            // Transient or not is the parser's choice, not a crash: a page that is not JSON is
            // transient (DiscoveryTests), a JSON document without an issuer is not.
            return;
        }

        Check(!string.IsNullOrEmpty(metadata.Issuer), "an accepted document has an issuer");
        foreach (var endpoint in new[] { metadata.TokenEndpoint, metadata.DeviceAuthorizationEndpoint, metadata.RevocationEndpoint })
        {
            Check(endpoint is null || (endpoint.IsAbsoluteUri && OriginSet.IsSecure(endpoint)), "every endpoint is absent or absolute https (or loopback http)");
            _ = endpoint?.GetLeftPart(UriPartial.Path);
        }
    }

    /// <summary>RFC 6750 §3.1 as DESIGN.md states it, computed from <see cref="WwwAuthenticateParser.Parse"/>.</summary>
    private static bool ExpectedRefreshCanHelp(IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            foreach (var challenge in WwwAuthenticateParser.Parse(value))
            {
                if (string.Equals(challenge.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
                    && challenge.Parameters.TryGetValue("error", out var code))
                {
                    return code is not ("insufficient_scope" or "invalid_request");
                }
            }
        }

        return true;
    }

    private static bool IsPrintableAscii(string value, int maxLength) =>
        value.Length <= maxLength && value.All(c => c is >= ' ' and <= '~');

    // RFC 9110 §5.6.2 tchar
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
