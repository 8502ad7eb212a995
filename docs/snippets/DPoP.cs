using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/dpop.md.</summary>
public static class DPoP
{
    /// <summary>A client whose tokens are bound to a key of its own (RFC 9449).</summary>
    /// <param name="services">The application's services.</param>
    public static void Enable(IServiceCollection services)
    {
        #region enable-dpop
        services.AddHttpClient<ForecastApi>(client => client.BaseAddress = new Uri("https://api.example.com/"))
            .AddDeviceAuthHandler(options =>
            {
                options.Authority = "https://id.example.com";
                options.ClientId = "forecast-cli";
                options.DPoP.Enabled = true;   // a key per sign-in, a proof on every token and API request
            });
        #endregion
    }
}
