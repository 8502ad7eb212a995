using AuthHandler.Benchmarks.Infrastructure;
using AuthHandler.Sessions.Internal;
using BenchmarkDotNet.Attributes;

namespace AuthHandler.Benchmarks;

/// <summary>
/// Where <see cref="PerRequestOverheadBenchmarks"/>' DeviceAuthHandler rows spend their time:
/// each step of the handler's fresh-token path on its own, using the library's own internal
/// pieces, next to the floor handlers' equivalent. Every row builds a new request like the
/// main class does; subtract the baseline row to get the step's own cost.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class HotPathBreakdownBenchmarks
{
    private const string ConstantHeaderValue = "Bearer token";
    private static readonly Uri RequestUri = new("https://api.example.com/v1/items");

    private BenchSession _bench = null!;
    private DeviceAuthSession _session = null!;
    private TokenSnapshot _token = null!;
    private KeyValuePair<string, string>[] _deviceHeaders = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _bench = BenchSession.Create(new FakeTokenEndpoint(TimeSpan.FromMilliseconds(20), TimeSpan.FromHours(1)));
        await _bench.SignInAsync("token", TimeSpan.FromHours(1));
        _session = _bench.Session;
        _token = (await _session.GetTokenAsync(CancellationToken.None))!;
        _deviceHeaders = [.. _bench.Policy.DeviceHeaders.Headers];
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync() => _bench.DisposeAsync();

    [Benchmark(Baseline = true, Description = "new HttpRequestMessage")]
    public HttpRequestMessage NewRequest() => new(HttpMethod.Get, RequestUri);

    [Benchmark(Description = "+ TryAdd Authorization (floor)")]
    public HttpRequestMessage ConstantBearerHeader()
    {
        var request = NewRequest();
        request.Headers.TryAddWithoutValidation("Authorization", ConstantHeaderValue);
        return request;
    }

    [Benchmark(Description = "+ Remove, TryAdd Authorization (SetToken on a request that carries headers)")]
    public HttpRequestMessage RemoveThenAddHeader()
    {
        var request = NewRequest();
        var headers = request.Headers;
        headers.Remove(_bench.Policy.HeaderName);
        headers.TryAddWithoutValidation(_bench.Policy.HeaderName, _token.HeaderValue);
        return request;
    }

    [Benchmark(Description = "+ Origins.IsAllowed")]
    public bool OriginCheck()
    {
        var request = NewRequest();
        return _bench.Policy.Origins.IsAllowed(request.RequestUri);
    }

    [Benchmark(Description = "+ session.GetTokenAsync (fresh)")]
    public object? GetToken()
    {
        _ = NewRequest();
        var token = _session.GetTokenAsync(CancellationToken.None);
        return token.IsCompletedSuccessfully ? token.Result : throw new InvalidOperationException("The fresh-token path should complete synchronously.");
    }

    [Benchmark(Description = "+ session.FreshToken (the handler's hot path)")]
    public object? FreshToken()
    {
        _ = NewRequest();
        return _session.FreshToken ?? throw new InvalidOperationException("The token should be fresh.");
    }

    [Benchmark(Description = "+ TimeProvider.System.GetUtcNow()")]
    public DateTimeOffset ClockRead()
    {
        _ = NewRequest();
        return TimeProvider.System.GetUtcNow();
    }

    [Benchmark(Description = "+ 6 device headers from an array (floor)")]
    public HttpRequestMessage DeviceHeadersFromArray()
    {
        var request = NewRequest();
        var headers = request.Headers;
        foreach (var (name, value) in _deviceHeaders)
        {
            headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    [Benchmark(Description = "+ DeviceHeaders.ApplyTo (handler)")]
    public HttpRequestMessage DeviceHeadersApplyTo()
    {
        var request = NewRequest();
        _bench.Policy.DeviceHeaders.ApplyTo(request.Headers);
        return request;
    }
}
