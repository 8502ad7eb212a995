using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Finds the <see cref="HttpClient.BaseAddress"/> a named client is configured with, by applying
/// its configuration actions to a client that never sends anything.
/// </summary>
internal static class ClientBaseAddress
{
    public static Uri? Find(IOptionsMonitor<HttpClientFactoryOptions> factoryOptions, string clientName)
    {
        var actions = factoryOptions.Get(clientName).HttpClientActions;
        if (actions.Count == 0)
        {
            return null;
        }

        using var probe = new HttpClient(new NeverSends(), disposeHandler: true);
        foreach (var action in actions)
        {
            action(probe);
        }

        return probe.BaseAddress;
    }

    private sealed class NeverSends : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("This client only reads configuration.");
    }
}
