namespace AuthHandler;

/// <summary>
/// The device headers sent on every API and token-endpoint request: the platform (app) name, app
/// version, device name, device model, OS version and a stable device id.
/// </summary>
/// <remarks>
/// Header names are <see cref="Prefix"/> followed by <c>Platform</c>, <c>App-Version</c>,
/// <c>Name</c>, <c>Model</c>, <c>OS-Version</c> and <c>Id</c>. Values are trimmed and limited to
/// printable ASCII; an empty value becomes <c>unknown</c>. They are computed once per session.
/// Device headers go only to the allowed origins and the authorization server.
/// </remarks>
public sealed class DeviceHeaderOptions
{
    /// <summary>Gets or sets a value indicating whether device headers are sent.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the prefix of every device header name.</summary>
    /// <value>The default value is <c>X-Device-</c>.</value>
    public string Prefix { get; set; } = "X-Device-";

    /// <summary>Gets or sets the platform (application) name.</summary>
    /// <value>The default value is the entry assembly's name.</value>
    public string? Platform { get; set; }

    /// <summary>Gets or sets the application version.</summary>
    /// <value>The default value is the entry assembly's informational version.</value>
    public string? AppVersion { get; set; }

    /// <summary>Gets or sets the device name.</summary>
    /// <value>The default value is the host name.</value>
    public string? DeviceName { get; set; }

    /// <summary>
    /// Gets or sets the device id. When not set, a random id is created once and kept in the file
    /// <c>device_id</c> in <see cref="DeviceAuthOptions.StorageDirectory"/> (owner-only on Unix).
    /// A corrupted file is replaced with a new id; a file that cannot be read or written gives the
    /// process an id of its own until it exits. Either is logged once, and neither is an error.
    /// </summary>
    public string? DeviceId { get; set; }

    /// <summary>Gets extra headers sent with the device headers, by name.</summary>
    public IDictionary<string, string> AdditionalHeaders { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
