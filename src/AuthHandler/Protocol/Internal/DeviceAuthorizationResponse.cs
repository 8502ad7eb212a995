using System.Globalization;
using System.Text.Json;
using AuthHandler.Http.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>An RFC 8628 §3.2 device authorization response.</summary>
internal sealed class DeviceAuthorizationResponse
{
    /// <summary>RFC 8628 §3.2: when the server names no interval, poll every 5 seconds.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    /// <summary>Used when the server omits the required <c>expires_in</c>.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    private const int MaxUserCodeLength = 64;
    private const int MaxUriLength = 2048;

    public required string DeviceCode { get; init; }

    public required string UserCode { get; init; }

    public required Uri VerificationUri { get; init; }

    public Uri? VerificationUriComplete { get; init; }

    public required TimeSpan ExpiresIn { get; init; }

    public required TimeSpan Interval { get; init; }

    /// <summary>Parses the response; throws <see cref="DeviceAuthorizationException"/> naming what is missing.</summary>
    public static DeviceAuthorizationResponse Parse(ReadOnlySpan<byte> body)
    {
        string? deviceCode = null, userCode = null, verificationUri = null, verificationUriComplete = null, error = null, description = null;
        double? expiresIn = null, interval = null;
        try
        {
            var reader = new Utf8JsonReader(Text.WithoutBom(body), new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "device_code": deviceCode = String(ref reader); break;
                    case "user_code": userCode = String(ref reader); break;

                    // "verification_url" is a widespread pre-RFC spelling.
                    case "verification_uri" or "verification_url": verificationUri ??= String(ref reader); break;
                    case "verification_uri_complete" or "verification_url_complete": verificationUriComplete ??= String(ref reader); break;
                    case "expires_in": expiresIn = Number(ref reader); break;
                    case "interval": interval = Number(ref reader); break;
                    case "error": error = String(ref reader); break;
                    case "error_description": description = String(ref reader); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw Invalid("is not valid JSON", ex);
        }

        if (OAuthError.FromServer(error, description) is { } oauthError)
        {
            throw new DeviceAuthorizationException(
                DeviceAuthorizationFailure.Rejected,
                $"The device authorization request was refused: {oauthError.Code}{oauthError.DescriptionSuffix}.",
                oauthError.Code,
                oauthError.Description);
        }

        if (string.IsNullOrEmpty(deviceCode))
        {
            throw Invalid("has no device_code");
        }

        // What the user is shown and types: a code with control or format characters (a terminal
        // escape sequence, a bidi override) or an overlong one is refused, never altered into a
        // different code.
        userCode = userCode?.Trim();
        if (string.IsNullOrEmpty(userCode) || userCode.Length > MaxUserCodeLength || Text.Sanitize(userCode, MaxUserCodeLength) != userCode)
        {
            throw Invalid("has no user_code of at most 64 printable characters");
        }

        if (ShownUri(verificationUri) is not { } verification)
        {
            throw Invalid("has no verification_uri that is an absolute https URL");
        }

        var complete = ShownUri(verificationUriComplete);

        return new DeviceAuthorizationResponse
        {
            DeviceCode = deviceCode,
            UserCode = userCode,
            VerificationUri = verification,
            VerificationUriComplete = complete,
            ExpiresIn = expiresIn is >= 1 and < 86_400 ? TimeSpan.FromSeconds(expiresIn.Value) : DefaultLifetime,

            // A zero, negative or unreadable interval falls back to the RFC default; a large one is honoured
            // (the local deadline still ends the sign-in).
            Interval = interval is >= 1 and < 86_400 ? TimeSpan.FromSeconds(Math.Ceiling(interval.Value)) : DefaultInterval,
        };
    }

    /// <summary>
    /// A URL the user is shown: absolute, https (or loopback http), printable ASCII without spaces
    /// and of a sane length, so it can neither forge a line in a terminal nor hide its host.
    /// </summary>
    private static Uri? ShownUri(string? value) =>
        value is { Length: > 0 and <= MaxUriLength }
        && value.All(c => c is > ' ' and <= '~')
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && OriginSet.IsSecure(uri)
            ? uri
            : null;

    private static DeviceAuthorizationException Invalid(string what, Exception? inner = null) =>
        new(DeviceAuthorizationFailure.InvalidResponse, $"The device authorization response {what}.", innerException: inner);

    private static string? String(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static double? Number(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number))
        {
            return number;
        }

        if (reader.TokenType == JsonTokenType.String && double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        reader.Skip();
        return null;
    }

    public override string ToString() => $"DeviceAuthorizationResponse {{ ExpiresIn = {ExpiresIn}, Interval = {Interval} }}";
}
