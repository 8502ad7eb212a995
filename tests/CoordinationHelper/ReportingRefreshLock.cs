using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.CoordinationHelper;

/// <summary>
/// The helper's refresh lock: the lock the session would use anyway, reporting on stdout when it
/// gets it (<c>lock-acquired</c>, with the fencing token when the lock has one) and, for the file
/// lock, when a refresh finds it held by another process (<c>waiting-for-lock</c>), so the test
/// observes the wait itself instead of timing it.
/// </summary>
internal sealed class ReportingRefreshLock(IRefreshLock inner, bool reportsWaiting) : IRefreshLock
{
    /// <summary>
    /// Wraps the lock registered for <paramref name="clientName"/> (the Redis lock, the credential
    /// store's file lock): the session takes the last keyed registration, and this one calls the
    /// factory of the one before it.
    /// </summary>
    public static void DecorateKeyed(IServiceCollection services, string clientName, bool reportsWaiting = false)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IRefreshLock) && Equals(d.ServiceKey, clientName));
        services.AddKeyedSingleton<IRefreshLock>(clientName, (provider, key) =>
            new ReportingRefreshLock((IRefreshLock)registered.KeyedImplementationFactory!(provider, key), reportsWaiting));
    }

    public async ValueTask<IRefreshLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        // A free file lock is taken synchronously; an acquisition still running has tried the
        // file, found it held, and is polling. This process runs one refresh at a time, so the
        // in-process queue in front of the file is never what it waits on. (A Redis acquisition
        // is never synchronous, so this tells nothing there.)
        var acquiring = inner.AcquireAsync(key, cancellationToken);
        if (reportsWaiting && !acquiring.IsCompleted)
        {
            Console.WriteLine("waiting-for-lock");
        }

        var handle = await acquiring;
        Console.WriteLine(handle.FencingToken is { } fence ? "lock-acquired fence=" + fence.ToString(CultureInfo.InvariantCulture) : "lock-acquired");
        return handle;
    }
}
