using AuthHandler.Protocol.DPoP.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Polly.Registry;

namespace AuthHandler.DependencyInjection.Internal;

/// <summary>
/// Leaves the token endpoint's clients with their own handlers only: the resilience pipeline and,
/// below it, the DPoP proof of each attempt.
/// Handlers the app adds to every client (<c>ConfigureHttpClientDefaults</c>) would otherwise
/// retry refreshes after failures where the server may have rotated the refresh token already
/// (RFC 9700 §4.14), or carry an auth handler into the token request.
/// </summary>
internal sealed class BackchannelHandlerFilter : IHttpMessageHandlerBuilderFilter
{
    private readonly ResiliencePipelineProvider<string> _pipelines;

    public BackchannelHandlerFilter(ResiliencePipelineProvider<string> pipelines) => _pipelines = pipelines;

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        if (builder.Name?.StartsWith(DeviceAuthConstants.BackchannelPrefix, StringComparison.Ordinal) == true)
        {
            builder.AdditionalHandlers.Clear();
            builder.AdditionalHandlers.Add(new ResilienceHandler(_pipelines.GetPipeline<HttpResponseMessage>(builder.Name)));

            // Below the retry: each attempt gets its own DPoP proof (RFC 9449 §11.1, a new jti).
            builder.AdditionalHandlers.Add(new BackchannelDPoPHandler());
        }
    };
}
