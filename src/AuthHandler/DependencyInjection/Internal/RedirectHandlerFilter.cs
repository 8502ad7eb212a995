using AuthHandler.Http;
using Microsoft.Extensions.Http;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Takes redirects away from the primary handler of every client this library owns, after all
/// of the app's configuration ran (<c>ConfigureHttpClientDefaults</c>, and
/// <c>ConfigurePrimaryHttpMessageHandler</c> in any order), so no app setting turns it back on.
/// </summary>
/// <remarks>
/// The token endpoint's clients never follow redirects (invariant 10): a 307 would carry the
/// refresh token and the client secret to wherever it points, and the tokens issued there would
/// be stored. A 3xx is a typed error instead. A client with the device-auth handler has its
/// redirects followed by that handler, hop by hop with the origin policy, as far as the app's
/// primary handler would have followed them.
/// </remarks>
internal sealed class RedirectHandlerFilter : IHttpMessageHandlerBuilderFilter
{
    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        if (builder.Name?.StartsWith(DeviceAuthConstants.BackchannelPrefix, StringComparison.Ordinal) == true)
        {
            PrimaryHandlerRedirects.TakeOver(builder.PrimaryHandler);
            return;
        }

        foreach (var handler in builder.AdditionalHandlers)
        {
            if (handler is DeviceAuthHandler deviceAuth)
            {
                deviceAuth.RedirectLimit = PrimaryHandlerRedirects.TakeOver(builder.PrimaryHandler);
                return;
            }
        }
    };
}
