using System.Diagnostics;
using System.Reflection;

namespace AuthHandler.Diagnostics.Internal;

/// <summary>The library's spans.</summary>
internal static class DeviceAuthActivities
{
    public static readonly ActivitySource Source = new(
        DeviceAuthDiagnostics.ActivitySourceName,
        typeof(DeviceAuthActivities).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>
    /// Starts a root span for work shared by many requests (a refresh, a sign-in), linked to the
    /// span of the request that started it; later requests add their own links when they join.
    /// The caller's <see cref="Activity.Current"/> is left as it was: the work makes the span
    /// current where it runs.
    /// </summary>
    public static Activity? StartShared(string name, string client)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var caller = Activity.Current;
        ActivityLink[]? links = caller is null ? null : [new ActivityLink(caller.Context)];

        // A root span: the work outlives the request that happened to start it.
        Activity.Current = null;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag(DeviceAuthMetrics.ClientTag, client);
        Activity.Current = caller;
        return activity;
    }
}
