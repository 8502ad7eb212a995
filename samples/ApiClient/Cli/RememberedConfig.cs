using System.Text.Json;

namespace ApiClient.Cli;

/// <summary>
/// The small per-user file in which <c>login</c> remembers the server it signed in to:
/// <c>$XDG_CONFIG_HOME/authhandler-sample/config.json</c> (else <c>~/.config/…</c>) on Unix,
/// <c>%APPDATA%\authhandler-sample\config.json</c> on Windows. Owner-only on Unix although it
/// holds no secret: which servers a user signs in to is still nobody else's business.
/// </summary>
internal static class RememberedConfig
{
    private const string DirectoryName = "authhandler-sample";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public static string FilePath { get; } = Path.Combine(ConfigHome(), DirectoryName, "config.json");

    /// <summary>Reads the file; a missing one is <see langword="null"/>, a broken one too, with <paramref name="warning"/> saying so.</summary>
    public static RememberedServer? Load(out string? warning)
    {
        warning = null;
        string text;
        try
        {
            text = File.ReadAllText(FilePath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warning = Ignored($"it cannot be read ({ex.Message.TrimEnd('.')})");
            return null;
        }

        try
        {
            var remembered = JsonSerializer.Deserialize<RememberedServer>(text, Json);
            if (remembered?.Authority is { } authority && ServerOptions.IsHttpUrl(authority) && remembered.ClientId is { Length: > 0 })
            {
                return remembered;
            }
        }
        catch (JsonException)
        {
            // Reported below, like any other content that is not a remembered server.
        }

        warning = Ignored("it is not a remembered server (an object with authority and client_id)");
        return null;
    }

    /// <summary>Writes the file (replacing it whole, so a crash never leaves half of it); returns a warning when it could not.</summary>
    public static string? Save(RememberedServer server)
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        var temporary = FilePath + "." + Environment.ProcessId + ".tmp";
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, server, Json);
            }

            File.Move(temporary, FilePath, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            return $"Signed in, but the server could not be remembered in {FilePath} ({ex.Message.TrimEnd('.')}); later commands need --authority and --client-id.";
        }
    }

    private static string Ignored(string why) =>
        $"Ignoring {FilePath}: {why}. The next successful login writes it again.";

    private static string ConfigHome()
    {
        if (OperatingSystem.IsWindows())
        {
            return Environment.GetEnvironmentVariable("APPDATA") is { Length: > 0 } appData
                ? appData
                : Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        }

        // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and must be ignored.
        if (Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return xdg;
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".config");
    }
}
