using AuthHandler.Device.Internal;

namespace AuthHandler.Storage.Internal;

/// <summary>
/// Replaces a file atomically and owner-only: a temporary file in the same directory (created
/// 0600 on Unix), flushed to disk, renamed over the old one. Readers see the old file or the new
/// one, never half of one, and a crash leaves the old content intact plus at most a stray
/// temporary file that is never read. Shared by the token file and the DPAPI-protected file of
/// AuthHandler.CredentialStore.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// The content of <paramref name="path"/>, or null when it (or its directory) does not exist.
    /// <paramref name="entry"/> names it in the message ("The token file …").
    /// </summary>
    /// <exception cref="TokenStoreException">Locked or briefly unavailable (transient), or not readable by this user (not transient).</exception>
    public static async ValueTask<byte[]?> ReadAsync(string path, string entry, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException ex)
        {
            // Locked or briefly unavailable: worth another try, not a sign-out.
            throw new TokenStoreException($"{entry} cannot be read now: {ex.Message}", isTransient: true, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new TokenStoreException($"{entry} cannot be read: {ex.Message}", isTransient: false, ex);
        }
    }

    /// <summary>Writes <paramref name="path"/> in <paramref name="directory"/> with what <paramref name="write"/> puts in the stream.</summary>
    /// <exception cref="TokenStoreException">The file cannot be written (transient: the next write tries again).</exception>
    public static async ValueTask WriteAsync(string directory, string path, Func<Stream, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            OwnerOnly.CreateDirectory(directory);
            var stream = OwnerOnly.CreateNewFile(temporary);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new TokenStoreException($"The token file {path} cannot be written: {ex.Message}", isTransient: true, ex);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

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
