namespace AuthHandler.DependencyInjection.Internal;

/// <summary>Which session an HTTP client's handler uses; registered keyed by the client's name.</summary>
internal sealed class ClientSession(string sessionName)
{
    public string SessionName { get; } = sessionName;
}
