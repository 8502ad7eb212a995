using AuthHandler.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Takes redirects away from the primary handler of every client this library owns, after all
/// of the app's configuration ran (<c>ConfigureHttpClientDefaults</c>, and
/// <c>ConfigurePrimaryHttpMessageHandler</c> in any order), so no app setting turns it back on;
/// and on a client with the device-auth handler puts that handler directly above the primary one.
/// </summary>
/// <remarks>
/// <para>
/// The token endpoint's clients never follow redirects (invariant 10): a 307 would carry the
/// refresh token and the client secret to wherever it points, and the tokens issued there would
/// be stored. A 3xx is a typed error instead. A client with the device-auth handler has its
/// redirects followed by that handler, hop by hop with the origin policy, as far as the app's
/// primary handler would have followed them.
/// </para>
/// <para>
/// The device-auth handler wraps the primary handler rather than joining
/// <see cref="HttpMessageHandlerBuilder.AdditionalHandlers"/>, so no other handler ever sees the
/// token: the factory's logging filter, registered before this one, adds its loggers after this
/// filter ran (its outer logger first, its <c>ClientHandler</c> logger last, just above the
/// primary handler), and Microsoft.Extensions.Http 10.0 keeps request header values raw in the
/// state of its Trace "Request Headers" record. Every handler the app adds, in whatever order
/// (a resilience handler, its own), sits above this one as well, so each of its attempts gets
/// the current token and the device headers, and the handler takes the token off the request
/// again when the send returns.
/// </para>
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

        if (builder.Name is { } name && builder.Services.GetKeyedService<Func<DeviceAuthHandler>>(name) is { } createHandler)
        {
            // A new handler per chain: the factory rebuilds chains every HandlerLifetime.
            var deviceAuth = createHandler();
            deviceAuth.RedirectLimit = PrimaryHandlerRedirects.TakeOver(builder.PrimaryHandler);
            deviceAuth.InnerHandler = builder.PrimaryHandler;
            builder.PrimaryHandler = deviceAuth;
        }
    };
}
