using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>The rules of a client's own options; they are the session options' rules for the same fields.</summary>
internal sealed class DeviceAuthClientOptionsValidator : IValidateOptions<DeviceAuthClientOptions>
{
    public static string MissingSession(string clientName, string sessionName) =>
        $"DeviceAuthClientOptions for HTTP client '{clientName}': no device-auth session '{sessionName}' is registered. " +
        $"Register it with services.AddDeviceAuthSession(\"{sessionName}\", ...), or use AddDeviceAuthHandler(options => ...) on the client.";

    public ValidateOptionsResult Validate(string? name, DeviceAuthClientOptions options)
    {
        var failures = new List<string>();
        var prefix = $"DeviceAuthClientOptions for HTTP client '{name}': ";
        DeviceAuthOptionsValidator.CheckOrigins(options.AllowedOrigins, prefix, failures);
        if (!DeviceAuthOptionsValidator.IsHeaderName(options.AuthorizationHeaderName))
        {
            failures.Add(prefix + $"AuthorizationHeaderName '{options.AuthorizationHeaderName}' is not a valid header name.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
