using AuthHandler.Device.Internal;
using AuthHandler.Diagnostics.Internal;

namespace AuthHandler.Http.Internal;

/// <summary>
/// How one client's requests are authorized, built once per client registration from its
/// options and handed to the handler: which origins get the token and the device headers, the
/// header that carries the token, and what a request gets when a sign-in is required. It is
/// configuration, not state; the session holds the state.
/// </summary>
internal sealed class ClientRequestPolicy
{
    public ClientRequestPolicy(
        string clientName,
        OriginSet origins,
        DeviceHeaderSet deviceHeaders,
        string headerName,
        SignInRequiredBehavior signInRequiredBehavior,
        DeviceAuthMetrics metrics)
    {
        ClientName = clientName;
        Origins = origins;
        DeviceHeaders = deviceHeaders;
        HeaderName = headerName;
        SignInRequiredBehavior = signInRequiredBehavior;
        Metrics = metrics;
        DeviceHeadersCarryTokenHeader = deviceHeaders.Contains(headerName);
        HeaderIsAuthorization = string.Equals(headerName, "Authorization", StringComparison.OrdinalIgnoreCase);
    }

    public string ClientName { get; }

    public OriginSet Origins { get; }

    public DeviceHeaderSet DeviceHeaders { get; }

    public string HeaderName { get; }

    public SignInRequiredBehavior SignInRequiredBehavior { get; }

    public DeviceAuthMetrics Metrics { get; }

    /// <summary>
    /// Whether an extra device header has the token header's name: the token then replaces it,
    /// even on a request that carried no header before the device headers went on.
    /// </summary>
    public bool DeviceHeadersCarryTokenHeader { get; }

    /// <summary>
    /// Whether the token goes in <c>Authorization</c> (the default): the typed property then
    /// removes it without looking the name up on every request.
    /// </summary>
    public bool HeaderIsAuthorization { get; }
}
