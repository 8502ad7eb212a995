using AuthHandler.Benchmarks.Handlers;
using AuthHandler.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using Duende.IdentityModel.OidcClient;

namespace AuthHandler.Benchmarks;

/// <summary>
/// Issue 9, scenario 1: what each request pays for the handler, with an in-memory terminal that
/// returns a cached 200 (no network). All rows run in one class so BenchmarkDotNet prints their
/// ratios to the pass-through row side by side. Each invocation sends a new request message,
/// because the handlers add headers to it.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class PerRequestOverheadBenchmarks
{
    private static readonly Uri RequestUri = new("https://api.example.com/v1/items");

    private HttpMessageInvoker _bare = null!;
    private HttpMessageInvoker _passThrough = null!;
    private HttpMessageInvoker _constantBearer = null!;
    private HttpMessageInvoker _bearerAndDeviceHeaders = null!;
    private HttpMessageInvoker _deviceAuthNoDeviceHeaders = null!;
    private HttpMessageInvoker _deviceAuth = null!;
    private HttpMessageInvoker _peer = null!;
    private HttpMessageInvoker _deviceAuthRefreshInFlight = null!;
    private OidcClient _oidcClient = null!;
    private BenchSession _noDeviceHeadersSession = null!;
    private BenchSession _session = null!;
    private BenchSession _refreshingSession = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var fresh = TimeSpan.FromHours(1);
        var unused = new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), fresh);

        _noDeviceHeadersSession = BenchSession.Create(unused, o => o.DeviceHeaders.Enabled = false);
        await _noDeviceHeadersSession.SignInAsync("token", fresh);

        _session = BenchSession.Create(unused);
        await _session.SignInAsync("token", fresh);

        // A token whose refresh window has begun (window 55 min of a 2.5 h lifetime, 30 min
        // left) against a token endpoint that never answers while the benchmark runs: every
        // request finds the one background refresh in flight and uses the current token.
        var blocked = new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), fresh, blocked: true);
        _refreshingSession = BenchSession.Create(blocked, o =>
        {
            o.RefreshWindow = TimeSpan.FromMinutes(55);
            o.BackchannelTimeout = TimeSpan.FromHours(2);
        });
        await _refreshingSession.SignInAsync("token", TimeSpan.FromMinutes(30), lifetime: TimeSpan.FromMinutes(150));

        var terminal = new CachedOkHandler();
        _bare = new HttpMessageInvoker(terminal, disposeHandler: false);
        _passThrough = new HttpMessageInvoker(new PassThroughHandler { InnerHandler = terminal });
        _constantBearer = new HttpMessageInvoker(new ConstantBearerHandler { InnerHandler = terminal });
        _bearerAndDeviceHeaders = new HttpMessageInvoker(new BearerAndDeviceHeadersHandler(_session.Policy.DeviceHeaders.Headers) { InnerHandler = terminal });
        _deviceAuthNoDeviceHeaders = _noDeviceHeadersSession.CreateInvoker(terminal);
        _deviceAuth = _session.CreateInvoker(terminal);
        _deviceAuthRefreshInFlight = _refreshingSession.CreateInvoker(terminal);

        // The peer never reaches the network on the fresh-token path; its back channel throws
        // if it ever tries.
        _oidcClient = new OidcClient(new OidcClientOptions
        {
            Authority = "https://id.example.com",
            ClientId = "bench",
            Scope = "openid offline_access",
            RedirectUri = "http://127.0.0.1/callback",
            BackchannelHandler = new NoNetworkHandler(),
        });
        _peer = new HttpMessageInvoker(new RefreshTokenDelegatingHandler(_oidcClient, "token", "r", "Bearer", terminal));

        if (_session.Policy.DeviceHeaders.Headers.Count != 6 || _noDeviceHeadersSession.Policy.DeviceHeaders.Headers.Count != 0)
        {
            throw new InvalidOperationException("Expected six default device headers and none when disabled.");
        }

        // Start the background refresh and check it is running before measuring.
        using (var response = await _deviceAuthRefreshInFlight.SendAsync(new HttpRequestMessage(HttpMethod.Get, RequestUri), CancellationToken.None))
        {
        }

        for (var i = 0; i < 500 && !blocked.InFlight; i++)
        {
            await Task.Delay(10);
        }

        if (blocked.Calls != 1 || !blocked.InFlight || _refreshingSession.Session.WhenRefreshCompleted().IsCompleted)
        {
            throw new InvalidOperationException("The refresh-ahead did not start.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        // One refresh for the whole run, however many requests saw the window.
        var calls = _refreshingSession.TokenEndpoint.Calls;
        var stillRunning = !_refreshingSession.Session.WhenRefreshCompleted().IsCompleted;
        _refreshingSession.TokenEndpoint.Release();
        await _refreshingSession.Session.WhenRefreshCompleted();
        Console.WriteLine($"// refresh-in-flight row: token-endpoint calls during the run = {calls}, still in flight at the end = {stillRunning}");

        foreach (var invoker in new[] { _bare, _passThrough, _constantBearer, _bearerAndDeviceHeaders, _deviceAuthNoDeviceHeaders, _deviceAuth, _peer, _deviceAuthRefreshInFlight })
        {
            invoker.Dispose();
        }

        await _noDeviceHeadersSession.DisposeAsync();
        await _session.DisposeAsync();
        await _refreshingSession.DisposeAsync();
    }

    [Benchmark(Description = "HttpMessageInvoker, no handler")]
    public Task<HttpResponseMessage> BareInvoker() => _bare.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Baseline = true, Description = "pass-through DelegatingHandler")]
    public Task<HttpResponseMessage> PassThrough() => _passThrough.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: constant bearer")]
    public Task<HttpResponseMessage> ConstantBearer() => _constantBearer.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: bearer + 6 device headers")]
    public Task<HttpResponseMessage> BearerAndDeviceHeaders() => _bearerAndDeviceHeaders.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, device headers off")]
    public Task<HttpResponseMessage> DeviceAuthNoDeviceHeaders() => _deviceAuthNoDeviceHeaders.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, default device headers")]
    public Task<HttpResponseMessage> DeviceAuth() => _deviceAuth.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "peer: OidcClient RefreshTokenDelegatingHandler")]
    public Task<HttpResponseMessage> Peer() => _peer.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, refresh-ahead in flight")]
    public Task<HttpResponseMessage> DeviceAuthRefreshInFlight() => _deviceAuthRefreshInFlight.SendAsync(NewRequest(), CancellationToken.None);

    private static HttpRequestMessage NewRequest() => new(HttpMethod.Get, RequestUri);
}
