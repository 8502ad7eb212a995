namespace AuthHandler.Tests.Browser;

/// <summary>One request the server received: method, path, query and form parameters, and a few headers.</summary>
internal sealed record RecordedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Form,
    IReadOnlyDictionary<string, string> Headers);
