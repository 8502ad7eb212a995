namespace AuthHandler.Http.Internal;

/// <summary>One challenge of a <c>WWW-Authenticate</c> header (RFC 9110 §11.6.1).</summary>
internal sealed class AuthenticationChallenge
{
    public AuthenticationChallenge(string scheme) => Scheme = scheme;

    public string Scheme { get; }

    public string? Token68 { get; set; }

    /// <summary>Parameters by lower-cased name; the first occurrence wins.</summary>
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
}
