namespace ApiClient.Client;

/// <summary>What the API answered.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="ReasonPhrase">The reason phrase; "Sign-in required" when the handler answered locally.</param>
/// <param name="ContentType">The media type of the body, if any.</param>
/// <param name="Body">The body as text.</param>
internal sealed record ApiResponse(int StatusCode, string? ReasonPhrase, string? ContentType, string Body)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
