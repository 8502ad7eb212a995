using AuthHandler.Benchmarks.Handlers;
using AuthHandler.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using Duende.IdentityModel.OidcClient;
using Microsoft.Extensions.DependencyInjection;

namespace AuthHandler.Benchmarks;

/// <summary>
/// Issue 9, scenario 1: what each request pays for the handler, with an in-memory terminal that
/// returns a cached 200 (no network). All rows run in one class so BenchmarkDotNet prints their
/// ratios to the pass-through row side by side. Each invocation sends a new request message,
/// because the handlers add headers to it.
/// </summary>
/// <remarks>
/// Every row sends through the handler chain <see cref="IHttpClientFactory"/> builds for a named
/// client, registered the same way (<c>AddHttpClient(name).RemoveAllLoggers()</c>, the row's
/// handler, the terminal as primary handler), so the rows differ only by their handler. The
/// <c>… + await + 401 check</c> floors are the least a handler that retries on 401 pays: it must
/// await the response to look at its status (issue 13).
/// </remarks>
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
    private HttpMessageInvoker _constantBearerAwait = null!;
    private HttpMessageInvoker _bearerAndDeviceHeadersAwait = null!;
    private HttpMessageInvoker _deviceAuthNoDeviceHeaders = null!;
    private HttpMessageInvoker _deviceAuth = null!;
    private HttpMessageInvoker _peer = null!;
    private HttpMessageInvoker _deviceAuthRefreshInFlight = null!;
    private OidcClient _oidcClient = null!;
    private BenchSession _noDeviceHeadersSession = null!;
    private BenchSession _session = null!;
    private BenchSession _refreshingSession = null!;
    private ServiceProvider _floors = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var fresh = TimeSpan.FromHours(1);
        var unused = new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), fresh);
        var terminal = new CachedOkHandler();

        _noDeviceHeadersSession = BenchSession.Create(unused, o => o.DeviceHeaders.Enabled = false, inner: c => Pipeline(c, terminal));
        await _noDeviceHeadersSession.SignInAsync("token", fresh);

        _session = BenchSession.Create(unused, inner: c => Pipeline(c, terminal));
        await _session.SignInAsync("token", fresh);

        // A token whose refresh window has begun (window 55 min of a 2.5 h lifetime, 30 min
        // left) against a token endpoint that never answers while the benchmark runs: every
        // request finds the one background refresh in flight and uses the current token.
        var blocked = new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), fresh, blocked: true);
        _refreshingSession = BenchSession.Create(
            blocked,
            o =>
            {
                o.RefreshWindow = TimeSpan.FromMinutes(55);
                o.BackchannelTimeout = TimeSpan.FromHours(2);
            },
            inner: c => Pipeline(c, terminal));
        await _refreshingSession.SignInAsync("token", TimeSpan.FromMinutes(30), lifetime: TimeSpan.FromMinutes(150));

        // The other rows: one named client each, built like the sessions' clients above.
        var deviceHeaders = _session.Policy.DeviceHeaders.Headers;
        var services = new ServiceCollection();
        Pipeline(services.AddHttpClient("bare"), terminal);
        Pipeline(services.AddHttpClient("pass-through").AddHttpMessageHandler(() => new PassThroughHandler()), terminal);
        Pipeline(services.AddHttpClient("constant-bearer").AddHttpMessageHandler(() => new ConstantBearerHandler()), terminal);
        Pipeline(services.AddHttpClient("bearer-and-device-headers").AddHttpMessageHandler(() => new BearerAndDeviceHeadersHandler(deviceHeaders)), terminal);
        Pipeline(services.AddHttpClient("constant-bearer-await").AddHttpMessageHandler(() => new ConstantBearerAwaitHandler()), terminal);
        Pipeline(services.AddHttpClient("bearer-and-device-headers-await").AddHttpMessageHandler(() => new BearerAndDeviceHeadersAwaitHandler(deviceHeaders)), terminal);
        _floors = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        _bare = BenchSession.PipelineInvoker(_floors, "bare");
        _passThrough = BenchSession.PipelineInvoker(_floors, "pass-through");
        _constantBearer = BenchSession.PipelineInvoker(_floors, "constant-bearer");
        _bearerAndDeviceHeaders = BenchSession.PipelineInvoker(_floors, "bearer-and-device-headers");
        _constantBearerAwait = BenchSession.PipelineInvoker(_floors, "constant-bearer-await");
        _bearerAndDeviceHeadersAwait = BenchSession.PipelineInvoker(_floors, "bearer-and-device-headers-await");
        _deviceAuthNoDeviceHeaders = _noDeviceHeadersSession.CreatePipelineInvoker();
        _deviceAuth = _session.CreatePipelineInvoker();
        _deviceAuthRefreshInFlight = _refreshingSession.CreatePipelineInvoker();

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
        // Its constructor takes the inner handler: the factory's chain with no handler of its own.
        _peer = new HttpMessageInvoker(new RefreshTokenDelegatingHandler(_oidcClient, "token", "r", "Bearer", _floors.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("bare")));

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

        // Disposing the peer disposes its inner handler too: the factory's outer handler, which ignores it.
        foreach (var invoker in new[] { _bare, _passThrough, _constantBearer, _bearerAndDeviceHeaders, _constantBearerAwait, _bearerAndDeviceHeadersAwait, _deviceAuthNoDeviceHeaders, _deviceAuth, _peer, _deviceAuthRefreshInFlight })
        {
            invoker.Dispose();
        }

        await _floors.DisposeAsync();

        await _noDeviceHeadersSession.DisposeAsync();
        await _session.DisposeAsync();
        await _refreshingSession.DisposeAsync();
    }

    [Benchmark(Description = "factory chain, no handler")]
    public Task<HttpResponseMessage> BareInvoker() => _bare.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Baseline = true, Description = "pass-through DelegatingHandler")]
    public Task<HttpResponseMessage> PassThrough() => _passThrough.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: constant bearer")]
    public Task<HttpResponseMessage> ConstantBearer() => _constantBearer.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: bearer + 6 device headers")]
    public Task<HttpResponseMessage> BearerAndDeviceHeaders() => _bearerAndDeviceHeaders.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: constant bearer + await + 401 check")]
    public Task<HttpResponseMessage> ConstantBearerAwait() => _constantBearerAwait.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "floor: bearer + 6 device headers + await + 401 check")]
    public Task<HttpResponseMessage> BearerAndDeviceHeadersAwait() => _bearerAndDeviceHeadersAwait.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, device headers off")]
    public Task<HttpResponseMessage> DeviceAuthNoDeviceHeaders() => _deviceAuthNoDeviceHeaders.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, default device headers")]
    public Task<HttpResponseMessage> DeviceAuth() => _deviceAuth.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "peer: OidcClient RefreshTokenDelegatingHandler")]
    public Task<HttpResponseMessage> Peer() => _peer.SendAsync(NewRequest(), CancellationToken.None);

    [Benchmark(Description = "DeviceAuthHandler, refresh-ahead in flight")]
    public Task<HttpResponseMessage> DeviceAuthRefreshInFlight() => _deviceAuthRefreshInFlight.SendAsync(NewRequest(), CancellationToken.None);

    private static HttpRequestMessage NewRequest() => new(HttpMethod.Get, RequestUri);

    /// <summary>How every row's client is built: no factory loggers, the in-memory terminal as primary handler.</summary>
    private static void Pipeline(IHttpClientBuilder client, HttpMessageHandler terminal) =>
        client.RemoveAllLoggers().ConfigurePrimaryHttpMessageHandler(() => terminal);
}
