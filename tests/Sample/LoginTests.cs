namespace AuthHandler.Tests.Sample;

public sealed class LoginTests
{
    private static readonly object Pending = CliTestHost.OAuthError("authorization_pending");

    [Fact]
    public async Task Login_UserApproves_ShowsTheCodeStoresTokensAndExitsZero()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((400, Pending), (200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var run = await host.RunAsync("login");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("To sign in, open https://id.example.com/device and enter the code WDJB-MJHT (or open https://id.example.com/device?user_code=WDJB-MJHT).", run.Lines[0]);
        Assert.Equal("Waiting for approval; the code expires in 10 min.", run.Lines[1]);
        Assert.StartsWith($"Signed in to {host.Authority} as client cli; scope: read write; the access token expires at ", run.Lines[2], StringComparison.Ordinal);
        Assert.Equal($"call, status and logout now use this server and client without options (remembered in {host.RememberedFile}).", run.Lines[3]);
        Assert.Equal(4, run.Lines.Length);
        var stored = await host.StoredTokensAsync();
        Assert.Equal(CliTestHost.Refresh1, stored?.RefreshToken);
        Assert.Contains("client_id=cli", host.Bodies("/device").Single(), StringComparison.Ordinal);
        Assert.Contains("scope=read+write", host.Bodies("/device").Single(), StringComparison.Ordinal);
        Assert.Equal(2, host.Calls("/token"));
    }

    [Fact]
    public async Task Login_UserDenies_Exits3WithOneLine()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((400, CliTestHost.OAuthError("access_denied")));

        var run = await host.RunAsync("login");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(["The sign-in was declined at the authorization server; no tokens were stored."], run.ErrorLines);
        Assert.Null(await host.StoredTokensAsync());
    }

    [Fact]
    public async Task Login_CodeExpires_Exits4WithOneLine()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((400, CliTestHost.OAuthError("expired_token")));

        var run = await host.RunAsync("login");

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Equal([$"The sign-in code expired before it was approved. Run {SampleProcess.CommandName} login --authority {host.Authority} --client-id cli --scope \"read write\" --store {host.Store} again for a new code."], run.ErrorLines);
    }

    [Fact]
    public async Task Login_Json_EmitsCodeIssuedWaitingAndSignedIn()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var run = await host.RunAsync("login", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["code_issued", "waiting", "signed_in", "remembered"], run.EventNames());
        var code = run.Event("code_issued");
        Assert.Equal(CliTestHost.UserCode, code.GetProperty("user_code").GetString());
        Assert.Equal("https://id.example.com/device", code.GetProperty("verification_uri").GetString());
        Assert.Equal("https://id.example.com/device?user_code=WDJB-MJHT", code.GetProperty("verification_uri_complete").GetString());
        var signedIn = run.Event("signed_in");
        Assert.True(signedIn.GetProperty("signed_in").GetBoolean());
        Assert.Equal("read write", signedIn.GetProperty("scope").GetString());
        Assert.True(signedIn.GetProperty("access_token_expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(50));
        Assert.Empty(run.Stderr);
    }

    [Fact]
    public async Task Login_Json_DeniedIsAnErrorEvent()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((400, CliTestHost.OAuthError("access_denied")));

        var run = await host.RunAsync("login", "--json");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal(["code_issued", "waiting", "error"], run.EventNames());
        Assert.Equal("access_denied", run.Event("error").GetProperty("code").GetString());
        Assert.Equal(3, run.Event("error").GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Login_NoAuthorityAnywhere_Exits1NamingTheOptionsTheVariablesAndTheOfflineDemo()
    {
        var run = await SampleProcess.RunAsync(["login", "--client-id", "cli"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            [
                "No authorization server: pass --authority URL and --client-id ID (or set AUTHHANDLER_AUTHORITY and AUTHHANDLER_CLIENT_ID); "
                + $"login remembers them for call, status and logout. To try the sample without a server, run the offline demo: {SampleProcess.CommandName}",
            ],
            run.ErrorLines);
    }

    [Fact]
    public async Task Login_ServerUnreachable_Exits1()
    {
        await using var host = CliTestHost.Start(discovery: false);

        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var run = await SampleProcess.RunAsync(["login", "--authority", "http://127.0.0.1:1", "--client-id", "cli", "--store", host.Store]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Single(run.ErrorLines);
        Assert.StartsWith("The sign-in failed: ", run.ErrorLines[0], StringComparison.Ordinal);
    }
}
