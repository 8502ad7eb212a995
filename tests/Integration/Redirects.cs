using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.Integration;

/// <summary>Redirecting servers, and what a foreign origin may receive.</summary>
internal static class Redirects
{
    /// <summary><paramref name="server"/> answers <paramref name="path"/> with a redirect to <paramref name="location"/>.</summary>
    public static void Answer(WireMockServer server, string path, int status, string location) =>
        server.Given(Request.Create().WithPath(path)).RespondWith(Response.Create().WithStatusCode(status).WithHeader("Location", location));

    /// <summary>What another origin must never see: the token header, a device header, or any secret, by header name and value.</summary>
    public static void AssertCarriesNothingOfOurs(ILogEntry received)
    {
        var headers = received.RequestMessage.Headers!;
        Assert.DoesNotContain(headers.Keys, k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers, h => h.Value.Any(v => v.Contains(AuthTestHost.SecretMarker, StringComparison.Ordinal)));
    }
}
