using System.Net.Http.Json;
using AuthHandler.Http.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class RequestReplayTests
{
    public static TheoryData<string, bool> Contents => new()
    {
        { "none", true },
        { "string", true },
        { "bytes", true },
        { "form", true },
        { "memory", true },
        { "json", true },
        { "multipart-buffered", true },
        { "stream", false },
        { "multipart-stream", false },
    };

    [Theory]
    [MemberData(nameof(Contents))]
    public void CanResend_DependsOnTheContent(string kind, bool expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/")
        {
            Content = kind switch
            {
                "none" => null,
                "string" => new StringContent("x"),
                "bytes" => new ByteArrayContent([1, 2]),
                "form" => new FormUrlEncodedContent([new("a", "b")]),
                "memory" => new ReadOnlyMemoryContent(new byte[] { 1 }),
                "json" => JsonContent.Create(new { a = 1 }),
                "multipart-buffered" => new MultipartFormDataContent { new StringContent("x") },
                "stream" => new StreamContent(new MemoryStream([1])),
                _ => new MultipartFormDataContent { new StreamContent(new MemoryStream([1])) },
            },
        };

        Assert.Equal(expected, RequestReplay.CanResend(request));
    }

    [Fact]
    public void CanResend_DeclaredByTheCaller_IsTrusted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/") { Content = new StreamContent(new MemoryStream([1])) };
        request.Options.Set(DeviceAuthRequestOptions.ContentCanBeResent, true);

        Assert.True(RequestReplay.CanResend(request));
    }
}
