using AuthHandler.Http.Internal;
using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>Attribute rules ([Required], [Range]), source-generated.</summary>
[OptionsValidator]
internal sealed partial class DeviceAuthOptionsAttributeValidator : IValidateOptions<DeviceAuthOptions>
{
}

/// <summary>Rules that span fields.</summary>
internal sealed class DeviceAuthOptionsValidator : IValidateOptions<DeviceAuthOptions>
{
    /// <summary>The longest <see cref="BrowserSignInOptions.Timeout"/>: a sign-in nobody finishes in a day is not waited for.</summary>
    private static readonly TimeSpan MaxBrowserTimeout = TimeSpan.FromHours(24);

    public ValidateOptionsResult Validate(string? name, DeviceAuthOptions options)
    {
        var failures = new List<string>();
        var prefix = $"DeviceAuthOptions for session '{name}': ";

        if (options.Authority is not null)
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority))
            {
                failures.Add(prefix + $"Authority '{options.Authority}' is not an absolute URL.");
            }
            else if (!OriginSet.IsSecure(authority))
            {
                failures.Add(prefix + $"Authority '{options.Authority}' must use https (http is allowed only on loopback).");
            }
        }

        CheckEndpoint(options.TokenEndpoint, nameof(options.TokenEndpoint), prefix, failures);
        CheckEndpoint(options.DeviceAuthorizationEndpoint, nameof(options.DeviceAuthorizationEndpoint), prefix, failures);
        CheckEndpoint(options.RevocationEndpoint, nameof(options.RevocationEndpoint), prefix, failures);

        if (options.SignInOnDemand && options.OnDeviceCode is null && options.SignInMethod != SignInMethod.Browser)
        {
            failures.Add(prefix + "SignInOnDemand needs OnDeviceCode to show the user code (or SignInMethod Browser).");
        }

        if (!Enum.IsDefined(options.SignInMethod))
        {
            failures.Add(prefix + $"SignInMethod {options.SignInMethod} is not a sign-in method.");
        }

        if (options.Browser is null)
        {
            failures.Add(prefix + "Browser must not be null.");
        }
        else
        {
            CheckEndpoint(options.Browser.AuthorizationEndpoint, "Browser.AuthorizationEndpoint", prefix, failures);
            // A timer of the injected clock takes at most uint.MaxValue - 1 ms (about 49 days).
            if (options.Browser.Timeout <= TimeSpan.Zero || options.Browser.Timeout > MaxBrowserTimeout)
            {
                failures.Add(prefix + "Browser.Timeout must be positive and at most 24 hours.");
            }

            // The path is compared as the browser sends it: only characters a browser sends as they
            // are (RFC 3986 unreserved and '/'), and no dot segment a URI parser would remove.
            if (options.Browser.RedirectPath is not { Length: > 0 and <= 256 } path
                || path[0] != '/'
                || !path.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '/')
                || path.Split('/').Any(segment => segment is "." or ".."))
            {
                failures.Add(prefix + "Browser.RedirectPath must start with '/' and hold only letters, digits, '-', '.', '_', '~' and '/', without '.' or '..' segments (at most 256 characters).");
            }
        }

        if (options.DiscoveryCacheDuration <= TimeSpan.Zero)
        {
            failures.Add(prefix + "DiscoveryCacheDuration must be positive.");
        }

        if (options.ClientAuthentication is ClientAuthenticationMethod.ClientSecretBasic or ClientAuthenticationMethod.ClientSecretPost
            && string.IsNullOrEmpty(options.ClientSecret))
        {
            failures.Add(prefix + $"ClientAuthentication {options.ClientAuthentication} needs a ClientSecret.");
        }

        CheckOrigins(options.AllowedOrigins, prefix, failures);

        // RFC 9449 §7.1: a DPoP-bound token goes in the DPoP scheme; another would present it as
        // something it is not (a Bearer token anyone holding it could use).
        if (options.DPoP?.Enabled == true && options.AuthorizationScheme is { } dpopScheme && !string.Equals(dpopScheme, "DPoP", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add(prefix + $"DPoP.Enabled sends DPoP-bound tokens in the DPoP scheme; AuthorizationScheme '{dpopScheme}' must be left unset (or be DPoP).");
        }

        if (options.RefreshWindow < TimeSpan.Zero)
        {
            failures.Add(prefix + "RefreshWindow must not be negative.");
        }

        if (options.ExpirySkew < TimeSpan.Zero)
        {
            failures.Add(prefix + "ExpirySkew must not be negative.");
        }

        if (options.DefaultTokenLifetime <= TimeSpan.Zero)
        {
            failures.Add(prefix + "DefaultTokenLifetime must be positive.");
        }

        if (options.RefreshRetryDelay < TimeSpan.Zero)
        {
            failures.Add(prefix + "RefreshRetryDelay must not be negative.");
        }

        if (options.RefreshLockTimeout <= TimeSpan.Zero)
        {
            failures.Add(prefix + "RefreshLockTimeout must be positive.");
        }

        if (options.BackchannelTimeout <= TimeSpan.Zero)
        {
            failures.Add(prefix + "BackchannelTimeout must be positive.");
        }

        if (options.BackchannelMaxRetryAfter < TimeSpan.Zero)
        {
            failures.Add(prefix + "BackchannelMaxRetryAfter must not be negative.");
        }

        if (!IsHeaderName(options.AuthorizationHeaderName))
        {
            failures.Add(prefix + $"AuthorizationHeaderName '{options.AuthorizationHeaderName}' is not a valid header name.");
        }

        if (options.AuthorizationScheme is { } scheme && !IsHeaderName(scheme))
        {
            failures.Add(prefix + $"AuthorizationScheme '{scheme}' is not a valid scheme token.");
        }

        var deviceHeaders = options.DeviceHeaders;
        if (deviceHeaders is null)
        {
            failures.Add(prefix + "DeviceHeaders must not be null.");
        }
        else if (deviceHeaders.Enabled)
        {
            if (!IsHeaderName(deviceHeaders.Prefix + "Id"))
            {
                failures.Add(prefix + $"DeviceHeaders.Prefix '{deviceHeaders.Prefix}' does not make valid header names.");
            }

            foreach (var header in deviceHeaders.AdditionalHeaders.Keys)
            {
                if (!IsHeaderName(header))
                {
                    failures.Add(prefix + $"DeviceHeaders.AdditionalHeaders has an invalid header name '{header}'.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Each origin is one, and secure; an empty list is fine (the first request's origin is pinned).</summary>
    public static void CheckOrigins(IEnumerable<string> origins, string prefix, List<string> failures)
    {
        foreach (var value in origins)
        {
            if (OriginSet.TryParseOrigin(value) is not { } origin)
            {
                failures.Add(prefix + $"AllowedOrigins entry '{value}' is not an origin such as https://api.example.com.");
            }
            else if (!OriginSet.IsSecure(origin))
            {
                failures.Add(prefix + $"AllowedOrigins entry '{value}' must use https (http is allowed only on loopback).");
            }
        }
    }

    private static void CheckEndpoint(Uri? endpoint, string name, string prefix, List<string> failures)
    {
        if (endpoint is not null && (!endpoint.IsAbsoluteUri || !OriginSet.IsSecure(endpoint)))
        {
            failures.Add(prefix + $"{name} '{endpoint}' must be an absolute https URL (http is allowed only on loopback).");
        }
    }

    public static bool IsHeaderName(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        // False for malformed names and for content headers, which a request cannot carry.
        using var probe = new HttpRequestMessage();
        return probe.Headers.TryAddWithoutValidation(value, "x");
    }
}
