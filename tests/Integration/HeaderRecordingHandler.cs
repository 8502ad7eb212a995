namespace AuthHandler.Tests.Integration;

/// <summary>
/// An app's own handler: writes down, for each send through it, the headers the request carried
/// on the way down and on the way back up (when the answer has come).
/// </summary>
internal sealed class HeaderRecordingHandler(List<HeaderRecordingHandler.RecordedSend> sends) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var down = Snapshot(request);
        var response = await base.SendAsync(request, cancellationToken);
        lock (sends)
        {
            sends.Add(new RecordedSend(down, Snapshot(response.RequestMessage ?? request)));
        }

        return response;
    }

    private static Dictionary<string, string> Snapshot(HttpRequestMessage request) =>
        request.Headers.NonValidated.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);

    internal sealed record RecordedSend(IReadOnlyDictionary<string, string> Down, IReadOnlyDictionary<string, string> Up);
}
