namespace AuthHandler;

/// <summary>Per-request settings, set on <see cref="HttpRequestMessage.Options"/>.</summary>
public static class DeviceAuthRequestOptions
{
    /// <summary>
    /// Declares that the request's content can be sent a second time, so the handler may retry it
    /// after a 401. Needed only for content types the handler cannot judge, such as
    /// <see cref="StreamContent"/> over a seekable stream. Buffered content
    /// (<see cref="ByteArrayContent"/>, <see cref="StringContent"/>,
    /// <see cref="FormUrlEncodedContent"/>, <see cref="ReadOnlyMemoryContent"/>,
    /// <c>JsonContent</c>, and multipart content made of these) is retried without it.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> ContentCanBeResent = new("AuthHandler.ContentCanBeResent");
}
