using System.Diagnostics;
using System.Net.NetworkInformation;

namespace AuthHandler.Soak;

/// <summary>
/// The process's resources at one moment, after a full blocking GC: working set, managed heap,
/// open file descriptors, how many of them are sockets and how many are files on disk (the token
/// store and its lock file live there), and the TCP connections to the server's port by state
/// (established and time-wait; both ends of a loopback connection are in this process).
/// </summary>
internal sealed record ProcessSample(
    string Label,
    TimeSpan At,
    long WorkingSetBytes,
    long GcHeapBytes,
    int FileDescriptors,
    int Sockets,
    int Files,
    int TcpEstablished,
    int TcpTimeWait)
{
    public static ProcessSample Take(string label, TimeSpan at, int port)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(forceFullCollection: false);

        using var process = Process.GetCurrentProcess();
        process.Refresh();

        var (descriptors, sockets, files) = CountDescriptors();
        int established = 0, timeWait = 0;
        foreach (var connection in IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections())
        {
            if (connection.LocalEndPoint.Port != port && connection.RemoteEndPoint.Port != port)
            {
                continue;
            }

            if (connection.State == TcpState.Established)
            {
                established++;
            }
            else if (connection.State == TcpState.TimeWait)
            {
                timeWait++;
            }
        }

        return new ProcessSample(label, at, process.WorkingSet64, heap, descriptors, sockets, files, established, timeWait);
    }

    /// <summary>Linux: every entry of /proc/self/fd, those that link to <c>socket:[inode]</c>, and those that link to a path.</summary>
    private static (int Descriptors, int Sockets, int Files) CountDescriptors()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (-1, -1, -1);
        }

        int descriptors = 0, sockets = 0, files = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            descriptors++;
            try
            {
                var target = new FileInfo(entry).LinkTarget;
                if (target is null)
                {
                    continue;
                }

                if (target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    sockets++;
                }
                else if (target.StartsWith('/') && !target.StartsWith("/dev/", StringComparison.Ordinal) && !target.StartsWith("/proc/", StringComparison.Ordinal))
                {
                    files++;
                }
            }
            catch (IOException)
            {
                // Closed between listing and reading: it no longer counts anyway.
            }
        }

        return (descriptors, sockets, files);
    }
}
