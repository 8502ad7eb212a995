using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// How the tests name a store's item and file, computed here rather than taken from the code
/// under test: the Secret Service attributes and the token file of a key in a directory.
/// </summary>
internal static class StoredItem
{
    public const string Key = "https://id.example.com|cli|openid";

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));

    /// <summary>The attributes of the item for <paramref name="key"/> in a store of <paramref name="directory"/>, for secret-tool.</summary>
    public static string[] Attributes(string directory, string key = Key) =>
        ["xdg:schema", "io.github.authhandler.Tokens", "directory", Path.GetFullPath(directory), "key", Hash(key)];

    public static string FilePath(string directory, string key = Key) => Path.Combine(directory, "tokens-" + Hash(key) + ".json");

    /// <summary>
    /// Asserts that a token file's <paramref name="content"/> is a moved record: where the tokens
    /// went and when, a sign-out to older versions (signed_out, no access token), no secret.
    /// </summary>
    public static void AssertMovedRecord(string? content)
    {
        Assert.NotNull(content);
        Assert.DoesNotContain("SECRET", content, StringComparison.Ordinal);
        using var record = JsonDocument.Parse(content);
        Assert.Equal("credential_store", record.RootElement.GetProperty("moved_to").GetString());
        Assert.True(record.RootElement.GetProperty("moved_at").TryGetDateTimeOffset(out _));
        Assert.True(record.RootElement.GetProperty("signed_out").GetBoolean());
        Assert.False(record.RootElement.TryGetProperty("access_token", out _));
        Assert.False(record.RootElement.TryGetProperty("refresh_token", out _));
    }
}
