namespace AuthHandler.Device.Internal;

/// <summary>
/// The persisted device id: 32 hex characters, created once in <c>device_id</c> with owner-only
/// permissions, and read back by every later process.
/// </summary>
internal static class DeviceIdFile
{
    public const string FileName = "device_id";

    public static string GetOrCreate(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (TryRead(path) is { } existing)
        {
            return existing;
        }

        OwnerOnly.CreateDirectory(directory);
        var id = Guid.NewGuid().ToString("N");
        try
        {
            // CreateNew: if another process wrote the id first, theirs wins and we read it back.
            using var stream = OwnerOnly.CreateNewFile(path);
            using var writer = new StreamWriter(stream);
            writer.Write(id);
            writer.Flush();
            stream.Flush(flushToDisk: true);
            return id;
        }
        catch (IOException) when (TryRead(path) is not null)
        {
            return TryRead(path)!;
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length == 32 && text.All(Uri.IsHexDigit) ? text.ToLowerInvariant() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
