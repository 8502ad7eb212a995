namespace AuthHandler.Tests.Sample;

public sealed class CallTests
{
    private const string Body = """{"items":[1,2,3]}""";

    private static DateTimeOffset InAnHour => DateTimeOffset.UtcNow.AddHours(1);

    private static DateTimeOffset AMinuteAgo => DateTimeOffset.UtcNow.AddMinutes(-1);

    [Fact]
    public async Task Call_SignedIn_PrintsTheBodyAndExitsZero()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, InAnHour);
        host.ApiAccepts(CliTestHost.Access1, Body);

        var run = await host.RunAsync("call", host.ApiUrl);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Body + "\n", run.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Empty(run.Stderr);
        var request = host.Server.LogEntries.Single(e => e.RequestMessage.Path == CliTestHost.ApiPath).RequestMessage;
        Assert.Equal("ApiClient", request.Headers!["X-Device-Platform"].Single());
        Assert.Equal(6, request.Headers.Keys.Count(k => k.StartsWith("X-Device-", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(0, host.Calls("/token"));
    }

    [Fact]
    public async Task Call_NoTokens_Exits2WithTheLoginCommand()
    {
        await using var host = CliTestHost.Start();

        var run = await host.RunAsync("call", host.ApiUrl);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Empty(run.Stdout);
        Assert.Equal(
            [$"Sign-in required: no tokens are stored. Run: {SampleProcess.CommandName} login --authority {host.Authority} --client-id cli --scope \"read write\" --store {host.Store}"],
            run.ErrorLines);
        Assert.Equal(0, host.Calls(CliTestHost.ApiPath));
    }

    [Fact]
    public async Task Call_RefreshRejected_Exits2EmptiesTheStoreAndSaysSo()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, AMinuteAgo);
        host.TokenEndpointSequence((400, CliTestHost.OAuthError("invalid_grant")));
        host.ApiAccepts(CliTestHost.Access2, Body);

        var run = await host.RunAsync("call", host.ApiUrl, "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(["signed_out", "error"], run.EventNames());
        Assert.Equal("refresh_rejected", run.Event("signed_out").GetProperty("reason").GetString());
        Assert.Equal("invalid_grant", run.Event("signed_out").GetProperty("error").GetString());
        var error = run.Event("error");
        Assert.Equal("sign_in_required", error.GetProperty("code").GetString());
        Assert.Equal(2, error.GetProperty("exit_code").GetInt32());
        Assert.StartsWith($"Sign-in required: the authorization server rejected the refresh token. Run: {SampleProcess.CommandName} login ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await host.StoredTokensAsync());
        Assert.Contains("refresh_token=" + CliTestHost.Refresh1, host.Bodies("/token").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_AccessTokenExpired_RefreshesOnceAndExitsZero()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, AMinuteAgo);
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access2, CliTestHost.Refresh2)));
        host.ApiAccepts(CliTestHost.Access2, Body);

        var run = await host.RunAsync("call", host.ApiUrl, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["refreshed", "response"], run.EventNames());
        Assert.True(run.Event("refreshed").GetProperty("refresh_token_rotated").GetBoolean());
        var response = run.Event("response");
        Assert.Equal(200, response.GetProperty("status").GetInt32());
        Assert.Equal(Body, response.GetProperty("body").GetString());
        Assert.Equal("application/json", response.GetProperty("content_type").GetString());
        Assert.Equal(1, host.Calls("/token"));
        Assert.Equal(CliTestHost.Refresh2, (await host.StoredTokensAsync())?.RefreshToken);
    }

    [Fact]
    public async Task Call_TokenFileCorrupted_Exits2()
    {
        await using var host = CliTestHost.Start();
        await host.CorruptTheStoreAsync();

        var run = await host.RunAsync("call", host.ApiUrl);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"Sign-in required: the token store cannot be read. Run: {SampleProcess.CommandName} login ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0, host.Calls(CliTestHost.ApiPath));
    }

    [Fact]
    public async Task Call_ApiAnswers404_PrintsTheStatusAndExits1()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, InAnHour);

        var run = await host.RunAsync("call", host.Authority + "/missing");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal([$"GET {host.Authority}/missing answered 404 Not Found"], run.ErrorLines);
    }

    [Fact]
    public async Task Call_ManyProcessesShareAnExpiredToken_OneRefreshBetweenThem()
    {
        const int Processes = 4;
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, AMinuteAgo);

        // Rotation with reuse detection: the first refresh works, any later one with the same token is rejected.
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access2, CliTestHost.Refresh2)), (400, CliTestHost.OAuthError("invalid_grant")));
        host.ApiAccepts(CliTestHost.Access2, Body);

        var runs = await Task.WhenAll(Enumerable.Range(0, Processes).Select(_ => host.RunAsync("call", host.ApiUrl)));

        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.ToString()));
        Assert.Equal(1, host.Calls("/token"));
        Assert.Equal(CliTestHost.Refresh2, (await host.StoredTokensAsync())?.RefreshToken);
    }

    [Fact]
    public async Task Call_Json_BodyWithQuotesAndAngleBracketsIsPlainJson()
    {
        const string Markup = """{"html":"<b>&amp;</b>","plus":"a+b"}""";
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, InAnHour);
        host.ApiAccepts(CliTestHost.Access1, Markup);

        var run = await host.RunAsync("call", host.ApiUrl, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("\\u00", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("""\"html\":\"<b>&amp;</b>\",\"plus\":\"a+b\"}""", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(Markup, run.Event("response").GetProperty("body").GetString());
    }
}
