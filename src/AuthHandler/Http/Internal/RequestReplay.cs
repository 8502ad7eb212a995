using System.Net.Http.Json;

namespace AuthHandler.Http.Internal;

/// <summary>
/// Invariant 7: a request is re-sent only when its body can be produced again. A consumed
/// non-seekable stream would go out empty, so unknown content is not re-sent.
/// </summary>
internal static class RequestReplay
{
    public static bool CanResend(HttpRequestMessage request) =>
        (request.Options.TryGetValue(DeviceAuthRequestOptions.ContentCanBeResent, out var declared) && declared)
        || IsReplayable(request.Content);

    private static bool IsReplayable(HttpContent? content) => content switch
    {
        null => true,

        // ByteArrayContent covers StringContent and FormUrlEncodedContent; JsonContent serialises
        // its value again on every send.
        ByteArrayContent or ReadOnlyMemoryContent or JsonContent => true,
        MultipartContent multipart => multipart.All(IsReplayable),
        _ => false,
    };
}
