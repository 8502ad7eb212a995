using System.Collections.Concurrent;
using System.Text;
using AuthHandler.Diagnostics.Internal;
using Microsoft.Extensions.Logging;

namespace AuthHandler.Device.Internal;

/// <summary>
/// The persisted device id: 32 hex characters, created once in <c>device_id</c> with owner-only
/// permissions, and read back by every later process. Never throws (invariant 12): a corrupted
/// file is replaced with a new id, and a file or directory that cannot be read or written gives
/// this process an id of its own. Either is logged once.
/// </summary>
/// <remarks>
/// A new id is written to a temporary file and renamed into place, so no reader ever sees a
/// half-written id. Every writer holds an exclusive OS lock on <c>device_id.lock</c> and reads
/// the file again under it, so racing processes converge: the first writes, the others read its
/// id back, and a valid id, once in place, is never replaced. (<c>File.Move</c> without overwrite
/// is no substitute: on Linux it is not an atomic create-if-absent, and two racing callers can
/// both succeed, each returning its own id.)
/// </remarks>
internal static class DeviceIdFile
{
    public const string FileName = "device_id";
    public const string LockFileName = FileName + ".lock";

    // An id is 32 characters; a little slack for a newline or a byte-order mark. Anything
    // longer is not an id, and is not read into memory whole.
    private const int MaxFileBytes = 64;

    // How long a process waits for another one that is writing the file (it holds the lock for
    // one small write), before it settles for an id of its own.
    private const int LockAttempts = 100;
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(20);

    // One resolution per directory and process: every session of the process sends the same id
    // (also the fallback id), and a degradation is logged once, not once per client.
    private static readonly ConcurrentDictionary<string, Lazy<string>> Resolved = new(StringComparer.Ordinal);

    /// <summary>The device id for <paramref name="directory"/>, resolved once per process.</summary>
    public static string GetOrCreate(string directory, ILogger logger) =>
        Resolved.GetOrAdd(directory, static (key, log) => new Lazy<string>(() => ReadOrCreate(key, log)), logger).Value;

    /// <summary>Reads, creates or repairs the id file; never throws. Not cached (tests race it).</summary>
    internal static string ReadOrCreate(string directory, ILogger logger)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            if (Read(path).Id is { } existing)
            {
                return existing;
            }

            OwnerOnly.CreateDirectory(directory);
            return Write(directory, path, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // A directory named device_id, no permission, a storage path under a regular file, a
            // read-only disk: the id cannot be kept, but this process can still have one.
            Log.DeviceIdNotPersisted(logger, path, ex);
            return NewId();
        }
    }

    /// <summary>Creates a missing file or replaces a corrupted one, unless another process has done so first.</summary>
    private static string Write(string directory, string path, ILogger logger)
    {
        using var held = AcquireLock(Path.Combine(directory, LockFileName));
        var again = Read(path);
        if (again.Id is { } writtenElsewhere)
        {
            return writtenElsewhere;
        }

        if (held is null)
        {
            throw new IOException($"Another process has been writing {path} for too long.");
        }

        var id = Publish(directory, path);
        if (again.Exists)
        {
            Log.DeviceIdReplaced(logger, path);
        }

        return id;
    }

    /// <summary>Writes a new id to a temporary file and renames it over <paramref name="path"/>; the caller holds the lock.</summary>
    private static string Publish(string directory, string path)
    {
        var id = NewId();
        var temporary = Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = OwnerOnly.CreateNewFile(temporary))
            {
                stream.Write(Encoding.ASCII.GetBytes(id));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            return id;
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    /// <summary>The exclusive OS lock on the lock file (as <see cref="FileRefreshLock"/>); null if another process keeps it.</summary>
    private static FileStream? AcquireLock(string lockPath)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, options);
            }
            catch (IOException ex) when (ex.GetType() == typeof(IOException) && attempt < LockAttempts)
            {
                // Held by another process, which needs a few milliseconds. This runs at most once
                // per process, and only while the file is missing or corrupted; the caller (the
                // session factory) has no async context to wait in.
                Thread.Sleep(LockRetryDelay);
            }
            catch (IOException ex) when (ex.GetType() == typeof(IOException))
            {
                return null;
            }
        }
    }

    private static (bool Exists, string? Id) Read(string path)
    {
        Span<byte> buffer = stackalloc byte[MaxFileBytes + 1];
        int length;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (false, null);
        }

        if (length > MaxFileBytes)
        {
            return (true, null);
        }

        var text = Encoding.UTF8.GetString(buffer[..length]).TrimStart('\uFEFF').Trim();
        return (true, text.Length == 32 && text.All(Uri.IsHexDigit) ? text.ToLowerInvariant() : null);
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless: it is never read, and it is owner-only.
        }
    }
}
