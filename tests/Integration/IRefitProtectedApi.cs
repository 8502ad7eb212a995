using Refit;

namespace AuthHandler.Tests.Integration;

/// <summary>A Refit API: its client is named after the generated implementation type, not "github".</summary>
public interface IRefitProtectedApi
{
    [Get("/data")]
    Task<HttpResponseMessage> GetDataAsync(CancellationToken cancellationToken);
}
