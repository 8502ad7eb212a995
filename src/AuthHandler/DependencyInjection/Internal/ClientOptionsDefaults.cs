using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>A client's <see cref="DeviceAuthClientOptions"/> start as its session's <see cref="DeviceAuthOptions"/>.</summary>
internal static class ClientOptionsDefaults
{
    public static void CopyFromSession(DeviceAuthClientOptions options, IServiceProvider provider, string sessionName)
    {
        // No such session: the client's validation says so, rather than the session's options
        // failing for a name nobody registered.
        if (!SessionRegistration.IsRegistered(provider, sessionName))
        {
            return;
        }

        DeviceAuthOptions session;
        try
        {
            session = provider.GetRequiredService<IOptionsMonitor<DeviceAuthOptions>>().Get(sessionName);
        }
        catch (OptionsValidationException)
        {
            // The session's own validation reports its options, once; a second report here would
            // only repeat it. The client is not used with an invalid session anyway.
            return;
        }

        foreach (var origin in session.AllowedOrigins)
        {
            options.AllowedOrigins.Add(origin);
        }

        options.AuthorizationHeaderName = session.AuthorizationHeaderName;
        options.SignInRequiredBehavior = session.SignInRequiredBehavior;
    }
}
