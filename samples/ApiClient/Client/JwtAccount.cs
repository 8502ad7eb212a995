using System.Buffers.Text;
using System.Text.Json;

namespace ApiClient.Client;

/// <summary>
/// Who the user is, when the access token is a JWT that says so. Access tokens are meant for the
/// API, not the client, so this is a courtesy for <c>status</c>: an opaque token just names no one.
/// Only a claim value is returned, never any part of the token.
/// </summary>
internal static class JwtAccount
{
    private static readonly string[] Claims = ["preferred_username", "email", "name", "sub"];

    public static string? Find(string accessToken)
    {
        var parts = accessToken.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            if (payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var claim in Claims)
            {
                if (payload.RootElement.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } account)
                {
                    return account;
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            // Not a JWT after all.
        }

        return null;
    }
}
