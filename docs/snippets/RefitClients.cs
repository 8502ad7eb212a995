using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace AuthHandler.Docs.Snippets;

#region refit-api
/// <summary>A Refit API.</summary>
public interface IGitHubApi
{
    /// <summary>Gets the signed-in user.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The user.</returns>
    [Get("/user")]
    Task<GitHubUser> GetUserAsync(CancellationToken cancellationToken);
}

/// <summary>The user, as the API returns it.</summary>
/// <param name="Login">The user's login.</param>
public sealed record GitHubUser([property: JsonPropertyName("login")] string Login);

/// <summary>The JSON types of the API, generated at build time.</summary>
[JsonSerializable(typeof(GitHubUser))]
public sealed partial class GitHubJsonContext : JsonSerializerContext;
#endregion

/// <summary>Samples of docs/refit.md.</summary>
public static class RefitClients
{
    /// <summary>A Refit client attached to a session with a short name.</summary>
    /// <param name="services">The application's services.</param>
    public static void Register(IServiceCollection services)
    {
        #region refit
        // The session under a name you choose: its store key, log events and metrics use it.
        services.AddDeviceAuthSession("github", options =>
        {
            options.Authority = "https://id.example.com";
            options.ClientId = "github-cli";
            options.Scope = "read:user offline_access";
        });

        // Refit names the client after its generated type; the handler takes the session by name.
        services.AddRefitGeneratedClient<IGitHubApi>(GitHubJsonContext.Default)
            .ConfigureHttpClient(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler("github")
            .AddStandardResilienceHandler();
        #endregion
    }
}
