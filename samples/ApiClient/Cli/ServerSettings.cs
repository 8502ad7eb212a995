using System.Text;

namespace ApiClient.Cli;

/// <summary>Which authorization server and client to use, and where the tokens live.</summary>
internal sealed record ServerSettings
{
    public required string Authority { get; init; }

    public required string ClientId { get; init; }

    public string? ClientSecret { get; init; }

    public string? Scope { get; init; }

    /// <summary>The token directory, always resolved (never the library's implicit default), so status can read it too.</summary>
    public required string StoreDirectory { get; init; }

    /// <summary>Whether the directory came from --store or AUTHHANDLER_STORE rather than the default.</summary>
    public bool StoreGiven { get; init; }

    public Uri? TokenEndpoint { get; init; }

    public Uri? DeviceEndpoint { get; init; }

    public Uri? RevocationEndpoint { get; init; }

    /// <summary>The login command line that signs in to the same store entry; never includes the secret.</summary>
    public string LoginCommand()
    {
        var command = new StringBuilder("ApiClient login --authority ").Append(Quote(Authority)).Append(" --client-id ").Append(Quote(ClientId));
        if (!string.IsNullOrWhiteSpace(Scope))
        {
            command.Append(" --scope ").Append(Quote(Scope));
        }

        if (StoreGiven)
        {
            command.Append(" --store ").Append(Quote(StoreDirectory));
        }

        return command.ToString();
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_.:/@%+=,".Contains(c, StringComparison.Ordinal))
            ? value
            : "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
