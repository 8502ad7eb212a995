using System.Text.Json;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// A token endpoint that holds every request until the test releases it. The test waits until
/// the refresh has reached the endpoint, arranges what must happen while the refresh is in flight
/// (requests joining it, a caller cancelling, the session being disposed), then lets it answer.
/// This replaces WireMock delays on the real clock, which only make the race likely to go the
/// test's way.
/// </summary>
/// <remarks>
/// Disposing releases it and, for a host's session, waits (bounded) for the refresh to finish: a
/// test that fails while the refresh is held would otherwise dispose the service provider with
/// the back-channel call in flight, and Polly's pipeline disposal waits for in-flight calls on the
/// injected clock, a fake one that never moves, so the run would hang instead of failing.
/// </remarks>
internal sealed class HeldTokenEndpoint : IAsyncDisposable
{
    /// <summary>How long a test waits, on the real clock, for something that should already be happening.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DeviceAuthSession? _session;
    private int _calls;

    private HeldTokenEndpoint(DeviceAuthSession? session) => _session = session;

    /// <summary>How many requests have reached the endpoint, answered or not.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The host's token endpoint answers <paramref name="body"/>, once released.</summary>
    /// <remarks>The host releases it when it is disposed, whatever the test did.</remarks>
    public static HeldTokenEndpoint Answer(AuthTestHost host, object body, int status = 200) =>
        Answer(host, host.Idp.Given(TokenRequest), body, status);

    /// <summary>
    /// The requests <paramref name="rule"/> matches on the host's servers (any endpoint, the
    /// discovery document too) answer <paramref name="body"/>, once released.
    /// </summary>
    public static HeldTokenEndpoint Answer(AuthTestHost host, IRespondWithAProvider rule, object body, int status = 200) =>
        host.Track(Hold(rule, host.Session, body, status));

    /// <summary>POST /token on <paramref name="idp"/> answers <paramref name="body"/>, once released.</summary>
    public static HeldTokenEndpoint Answer(WireMockServer idp, object body, int status = 200) =>
        Answer(idp.Given(TokenRequest), body, status);

    /// <summary>
    /// The requests <paramref name="rule"/> matches answer <paramref name="body"/>, once released:
    /// a rule with a scenario holds only the answer of its state.
    /// </summary>
    public static HeldTokenEndpoint Answer(IRespondWithAProvider rule, object body, int status = 200) =>
        Hold(rule, session: null, body, status);

    private static IRequestBuilder TokenRequest => Request.Create().WithPath("/token").UsingPost();

    private static HeldTokenEndpoint Hold(IRespondWithAProvider rule, DeviceAuthSession? session, object body, int status)
    {
        var held = new HeldTokenEndpoint(session);
        var json = JsonSerializer.Serialize(body);
        rule.RespondWith(Response.Create().WithCallback(async _ =>
        {
            Interlocked.Increment(ref held._calls);
            held._reached.TrySetResult();
            await held._released.Task;
            return new ResponseMessage
            {
                StatusCode = status,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData { BodyAsString = json, DetectedBodyType = BodyType.String },
            };
        }));
        return held;
    }

    /// <summary>Completes once a request has reached the endpoint; fails after <see cref="Patience"/>.</summary>
    public Task WaitUntilReachedAsync() => _reached.Task.WaitAsync(Patience);

    /// <summary>Lets every held request, and every later one, answer.</summary>
    public void Release() => _released.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        if (_session is not null)
        {
            try
            {
                await _session.WhenRefreshCompleted().WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                // Dispose must not hide the test's own failure; the host's dispose reports what is left.
            }
        }
    }
}
