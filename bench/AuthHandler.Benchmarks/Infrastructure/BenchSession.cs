using AuthHandler.Http;
using AuthHandler.Http.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>
/// A session registered the way an application registers it (<c>AddHttpClient(...).AddDeviceAuthHandler(...)</c>),
/// with the token endpoint replaced by an in-memory <see cref="FakeTokenEndpoint"/>. The device id
/// is fixed and the tokens stay in memory, so no file is written.
/// </summary>
internal sealed class BenchSession : IAsyncDisposable
{
    public const string ClientName = "api";

    public static readonly Uri DefaultBaseAddress = new("https://api.example.com/");

    private BenchSession(ServiceProvider provider, FakeTokenEndpoint tokenEndpoint)
    {
        Provider = provider;
        TokenEndpoint = tokenEndpoint;
        Session = provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName);
        Policy = provider.GetRequiredKeyedService<ClientRequestPolicy>(ClientName);
    }

    public ServiceProvider Provider { get; }

    public DeviceAuthSession Session { get; }

    /// <summary>The client's request policy: its origins, device headers and token header.</summary>
    public ClientRequestPolicy Policy { get; }

    public FakeTokenEndpoint TokenEndpoint { get; }

    /// <summary>The client from <see cref="IHttpClientFactory"/>: factory handlers, the auth handler, then the primary handler.</summary>
    public HttpClient CreateClient() => Provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

    /// <summary>
    /// The handler chain <see cref="IHttpClientFactory"/> builds for the client (the one an
    /// <see cref="HttpClient"/> from <see cref="CreateClient"/> sends through), without
    /// <see cref="HttpClient"/>'s own per-request work: its timeout and linked cancellation.
    /// </summary>
    public HttpMessageInvoker CreatePipelineInvoker() => PipelineInvoker(Provider, ClientName);

    /// <summary>The chain the factory in <paramref name="provider"/> builds for the client <paramref name="name"/>.</summary>
    public static HttpMessageInvoker PipelineInvoker(IServiceProvider provider, string name) =>
        new(provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(name), disposeHandler: false);

    /// <summary>The auth handler alone over <paramref name="terminal"/>, without the factory's own handlers.</summary>
    public HttpMessageInvoker CreateInvoker(HttpMessageHandler terminal) =>
        new(new DeviceAuthHandler(Session, Policy, NullLogger.Instance) { InnerHandler = terminal });

    /// <param name="tokenEndpoint">Answers the back-channel client's requests.</param>
    /// <param name="configure">Changes the options after the defaults below.</param>
    /// <param name="baseAddress">The API; <see cref="DefaultBaseAddress"/> when null.</param>
    /// <param name="outer">Adds handlers in front of the auth handler.</param>
    /// <param name="inner">Adds handlers behind it, and the primary handler.</param>
    public static BenchSession Create(
        FakeTokenEndpoint tokenEndpoint,
        Action<DeviceAuthOptions>? configure = null,
        Uri? baseAddress = null,
        Action<IHttpClientBuilder>? outer = null,
        Action<IHttpClientBuilder>? inner = null)
    {
        var services = new ServiceCollection();
        var client = services.AddHttpClient(ClientName, c => c.BaseAddress = baseAddress ?? DefaultBaseAddress);
        outer?.Invoke(client);
        client.AddDeviceAuthHandler(o =>
        {
            o.Authority = "https://id.example.com";
            o.ClientId = "bench";
            o.TokenEndpoint = new Uri("https://id.example.com/token");
            o.DeviceHeaders.DeviceId = "0123456789abcdef0123456789abcdef";
            configure?.Invoke(o);
        }).UseMemoryTokenStore();
        inner?.Invoke(client);

        services.AddHttpClient("AuthHandler.Backchannel:" + ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => tokenEndpoint);

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return new BenchSession(provider, tokenEndpoint);
    }

    /// <summary>Signs in with a token that expires <paramref name="expiresIn"/> from now (negative: already expired).</summary>
    public Task SignInAsync(string accessToken, TimeSpan expiresIn, TimeSpan? lifetime = null)
    {
        var now = DateTimeOffset.UtcNow;
        return Session.SetTokensAsync(new TokenSet(accessToken, now + expiresIn)
        {
            RefreshToken = "rt-" + accessToken,
            IssuedAt = now + expiresIn - (lifetime ?? TimeSpan.FromHours(1)),
        });
    }

    public async ValueTask DisposeAsync()
    {
        TokenEndpoint.Release();

        // The provider owns the session (a keyed singleton) and disposes it.
        await Provider.DisposeAsync();
    }
}
