using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

public sealed class DeviceAuthHandlerTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string Refresh2 = "rt-2-" + AuthTestHost.SecretMarker;

    [Fact]
    public async Task SendAsync_FreshToken_SendsBearerAndDeviceHeaders()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.DeviceHeaders.Platform = "test-cli";
            o.DeviceHeaders.AppVersion = "1.2.3";
            o.DeviceHeaders.DeviceName = "büro-pc\t";
            o.DeviceHeaders.AdditionalHeaders["X-Tenant"] = "blue";
        });
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.Equal("Bearer " + Access1, headers["Authorization"].Single());
        Assert.Equal("test-cli", headers["X-Device-Platform"].Single());
        Assert.Equal("1.2.3", headers["X-Device-App-Version"].Single());
        Assert.Equal("bro-pc", headers["X-Device-Name"].Single());
        Assert.Equal("blue", headers["X-Tenant"].Single());
        Assert.False(string.IsNullOrWhiteSpace(headers["X-Device-Model"].Single()));
        Assert.False(string.IsNullOrWhiteSpace(headers["X-Device-OS-Version"].Single()));
        Assert.Matches("^[0-9a-f]{32}$", headers["X-Device-Id"].Single());
        Assert.Equal(0, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_DeviceId_IsPersistedOnceAndReusedByLaterSessions()
    {
        string firstId;
        string directory;
        await using (var host = AuthTestHost.Start())
        {
            await host.SeedAsync(Access1);
            host.ApiAccepts(Access1);
            await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
            firstId = host.Api.LogEntries.Single().RequestMessage.Headers!["X-Device-Id"].Single();
            directory = host.Directory;
            var path = Path.Combine(directory, "device_id");
            Assert.Equal(firstId, File.ReadAllText(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            // A second provider (a second process, as far as the library can tell) reads the same file.
            await using var second = AuthTestHost.Start(o => o.StorageDirectory = directory);
            await second.SeedAsync(Access1);
            second.ApiAccepts(Access1);
            await second.Client.GetAsync("/data", TestContext.Current.CancellationToken);
            Assert.Equal(firstId, second.Api.LogEntries.Single().RequestMessage.Headers!["X-Device-Id"].Single());
        }
    }

    [Fact]
    public async Task SendAsync_DeviceHeadersDisabled_SendsOnlyTheToken()
    {
        await using var host = AuthTestHost.Start(o => o.DeviceHeaders.Enabled = false);
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var headers = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase));
        Assert.False(Directory.Exists(host.Directory), "no device id file is created when device headers are off");
    }

    [Fact]
    public async Task SendAsync_ForeignOrigin_GetsNoTokenAndNoDeviceHeaders()
    {
        using var foreign = WireMock.Server.WireMockServer.Start();
        foreign.Given(Request.Create().WithPath("/elsewhere")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        // The client's first request pins its origin (no AllowedOrigins): the API's.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/data", TestContext.Current.CancellationToken)).StatusCode);
        var response = await host.Client.GetAsync(foreign.Url + "/elsewhere", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = foreign.LogEntries.Single().RequestMessage.Headers!;
        Assert.DoesNotContain(headers.Keys, k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SendAsync_AllowedOriginsOption_IsTheWholeListAndTheBaseAddressIsNotAdded()
    {
        using var other = WireMock.Server.WireMockServer.Start();
        other.Given(Request.Create().WithPath("/x")).RespondWith(Response.Create().WithStatusCode(200));
        await using var host = AuthTestHost.Start(o => o.AllowedOrigins.Add(other.Url!));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await host.Client.GetAsync(other.Url + "/x", TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + Access1, other.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        Assert.DoesNotContain("Authorization", host.Api.LogEntries.Single().RequestMessage.Headers!.Keys);
    }

    [Fact]
    public async Task SendAsync_CustomHeaderNameAndScheme_AreUsed()
    {
        await using var host = AuthTestHost.Start(o =>
        {
            o.AuthorizationHeaderName = "Proxy-Authorization";
            o.AuthorizationScheme = "Token";
        });
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data")).RespondWith(Response.Create().WithStatusCode(200));

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        var headers = host.Api.LogEntries.Single().RequestMessage.Headers!;
        Assert.Equal("Token " + Access1, headers["Proxy-Authorization"].Single());
        Assert.DoesNotContain(headers.Keys, k => k.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SendAsync_401_RefreshesOnceAndRetriesWithNewToken()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        var sent = host.Api.LogEntries.Select(e => e.RequestMessage.Headers!["Authorization"].Single()).ToList();
        Assert.Equal(["Bearer " + Access1, "Bearer " + Access2], sent);
        var form = host.Idp.LogEntries.Single().RequestMessage.Body!;
        Assert.Contains("grant_type=refresh_token", form, StringComparison.Ordinal);
        Assert.Contains("refresh_token=rt-1-" + AuthTestHost.SecretMarker, form, StringComparison.Ordinal);
        Assert.Contains("client_id=cli", form, StringComparison.Ordinal);
        Assert.True(host.Idp.LogEntries.Single().RequestMessage.Headers!.ContainsKey("X-Device-Id"), "OAuth calls carry the device headers too");
    }

    [Fact]
    public async Task SendAsync_SecondUnauthorized_IsReturnedWithoutAnotherRefresh()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts("never-accepted");
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
        Assert.Equal(2, host.Api.LogEntries.Count);
    }

    [Fact]
    public async Task SendAsync_InsufficientScope_IsNotRefreshed()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts("other", challenge: "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin\"");
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, host.TokenCalls);
        Assert.Single(host.Api.LogEntries);
    }

    [Fact]
    public async Task SendAsync_401WithoutChallenge_IsTreatedAsInvalidToken()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2, challenge: null);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, host.TokenCalls);
    }

    [Fact]
    public async Task SendAsync_JsonPostRetriedAfter401_ArrivesByteIdentical()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        var payload = new { name = "Zoë", items = Enumerable.Range(0, 50).ToArray(), nested = new { ok = true } };

        var response = await host.Client.PostAsJsonAsync("/data", payload, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bodies = host.Api.LogEntries.Select(e => e.RequestMessage.BodyAsBytes).ToList();
        Assert.Equal(2, bodies.Count);
        Assert.NotEmpty(bodies[0]!);
        Assert.Equal(bodies[0], bodies[1]);
    }

    [Fact]
    public async Task SendAsync_NonSeekableStreamBody_IsNotRetried()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        using var content = new StreamContent(new ForwardOnlyStream(Encoding.UTF8.GetBytes("upload")));

        var response = await host.Client.PostAsync("/data", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(host.Api.LogEntries);
        Assert.Equal(0, host.TokenCalls);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 10);
    }

    [Fact]
    public async Task SendAsync_StreamBodyDeclaredResendable_IsRetried()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access2);
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, Refresh2));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/data")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("upload"))),
        };
        request.Options.Set(DeviceAuthRequestOptions.ContentCanBeResent, true);

        var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All(host.Api.LogEntries, e => Assert.Equal("upload", e.RequestMessage.Body));
    }

    [Fact]
    public async Task SendAsync_RequestWithOwnAuthorization_IsOverwrittenForAllowedOrigin()
    {
        await using var host = AuthTestHost.Start();
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/data");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer stale");

        var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task SendAsync_ExtraDeviceHeaderNamedLikeTheTokenHeader_ArrivesAsTheTokenAlone()
    {
        // The token replaces the extra header's value even on a request that carried no header
        // before the device headers went on (the hot path skips the look for a header to replace).
        await using var host = AuthTestHost.Start(o => o.DeviceHeaders.AdditionalHeaders["authorization"] = "Basic device");
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
    }

    [Fact]
    public async Task SendAsync_SameRequestSentTwiceByAnOuterRetry_CarriesEachDeviceHeaderOnce()
    {
        await using var host = AuthTestHost.Start(client: c => c.AddHttpMessageHandler(() => new SendsTwice()));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(2, host.Api.LogEntries.Count);
        Assert.All(host.Api.LogEntries, e =>
        {
            Assert.Single(e.RequestMessage.Headers!["X-Device-Id"]);
            Assert.Single(e.RequestMessage.Headers!["Authorization"]);
        });
    }

    /// <summary>What a resilience handler outside ours does on a retry: the same message again.</summary>
    private sealed class SendsTwice : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            (await base.SendAsync(request, cancellationToken)).Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
