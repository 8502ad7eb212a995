using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The device-auth handler sits directly above the primary handler: the factory's loggers (whose
/// Trace "Request Headers" record keeps header values raw in its state on Microsoft.Extensions.Http
/// 10.0) and every handler the app adds see neither the access token nor, on the back channel,
/// the client secret. The logs are read with their state, as an exporter reads them.
/// </summary>
public sealed class HandlerPlacementTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;
    private const string Access2 = "at-2-" + AuthTestHost.SecretMarker;
    private const string ClientHandlerCategory = "System.Net.Http.HttpClient." + AuthTestHost.ClientName + ".ClientHandler";
    private const string LogicalHandlerCategory = "System.Net.Http.HttpClient." + AuthTestHost.ClientName + ".LogicalHandler";

    [Fact]
    public async Task SendAsync_FactoryLoggersAtTrace_TokenInNoRecordMessageOrState()
    {
        var logs = new StateCapturingLoggerProvider();
        await using var host = AuthTestHost.Start(services: s => s.AddSingleton<ILoggerProvider>(logs));
        await host.SeedAsync(Access1);
        host.ApiAccepts(Access1);

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + Access1, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        // Both of the factory's loggers wrote their request-header record, which the scan reads.
        Assert.Contains(logs.Records, r => r.Category == ClientHandlerCategory && r.EventName == "RequestHeader");
        Assert.Contains(logs.Records, r => r.Category == LogicalHandlerCategory && r.EventName == "RequestPipelineRequestHeader");
        logs.AssertNowhere(Access1);
    }

    [Fact]
    public async Task Refresh_ClientSecretBasicWithFactoryLoggersAtTrace_SecretAndTokensInNoRecordMessageOrState()
    {
        const string Secret = "cs-" + AuthTestHost.SecretMarker;
        var logs = new StateCapturingLoggerProvider();
        await using var host = AuthTestHost.Start(
            o => o.ClientSecret = Secret,
            services: s => s.AddSingleton<ILoggerProvider>(logs),
            // An app default that turns the factory's loggers on, registered after the handler.
            clientAfterHandler: client => client.Services.ConfigureHttpClientDefaults(defaults => defaults.AddDefaultLogger()));
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        host.TokenEndpointAnswers(AuthTestHost.Tokens(Access2, "rt-2-" + AuthTestHost.SecretMarker));
        host.ApiAccepts(Access2);
        host.Time.Advance(TimeSpan.FromMinutes(11));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var basic = host.Idp.LogEntries.Single(e => e.RequestMessage.Path == "/token").RequestMessage.Headers!["Authorization"].Single();
        Assert.StartsWith("Basic ", basic, StringComparison.Ordinal);
        Assert.Equal("Bearer " + Access2, host.Api.LogEntries.Single().RequestMessage.Headers!["Authorization"].Single());
        Assert.Contains(logs.Records, r => r.Category == ClientHandlerCategory && r.EventName == "RequestHeader");
        logs.AssertNowhere(basic["Basic ".Length..]);
        logs.AssertNowhere(Secret);
        logs.AssertNowhere(Access1);
        logs.AssertNowhere(Access2);
    }

    [Fact]
    public async Task SendAsync_AppHandlerAndResilienceHandlerAddedAfter_AppHandlerSeesNoTokenAndEachAttemptCarriesIt()
    {
        var logs = new StateCapturingLoggerProvider();
        var sends = new List<HeaderRecordingHandler.RecordedSend>();
        await using var host = AuthTestHost.Start(
            services: s => s.AddSingleton<ILoggerProvider>(logs),
            clientAfterHandler: client =>
            {
                // Retries at once (no delay on the fake clock); the recording handler is inside it, so it sees each attempt.
                client.AddStandardResilienceHandler(o =>
                {
                    o.Retry.Delay = TimeSpan.Zero;
                    o.Retry.UseJitter = false;
                    o.Retry.BackoffType = DelayBackoffType.Constant;
                });
                client.AddHttpMessageHandler(() => new HeaderRecordingHandler(sends));
            });
        await host.SeedAsync(Access1);
        host.Api.Given(Request.Create().WithPath("/data")).InScenario("retry").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(503));
        host.Api.Given(Request.Create().WithPath("/data")).InScenario("retry").WhenStateIs("up")
            .RespondWith(Response.Create().WithStatusCode(200));

        var response = await host.Client.GetAsync("/data", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var attempts = host.Api.LogEntries.ToList();
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, e =>
        {
            Assert.Equal("Bearer " + Access1, e.RequestMessage.Headers!["Authorization"].Single());
            Assert.Equal(6, e.RequestMessage.Headers!.Keys.Count(k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase)));
        });
        Assert.Equal(2, sends.Count);
        Assert.All(sends, send =>
        {
            Assert.False(send.Down.ContainsKey("Authorization"));
            Assert.False(send.Up.ContainsKey("Authorization"));
        });
        Assert.False(response.RequestMessage!.Headers.Contains("Authorization"));
        Assert.Equal(2, logs.Records.Count(r => r.Category == ClientHandlerCategory && r.EventName == "RequestHeader"));
        logs.AssertNowhere(Access1);
    }
}
