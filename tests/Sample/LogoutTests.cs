namespace AuthHandler.Tests.Sample;

public sealed class LogoutTests
{
    [Fact]
    public async Task Logout_SignedIn_RevokesTheRefreshTokenAndEmptiesTheStore()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddHours(1));
        host.RevocationEndpointAnswers();

        var run = await host.RunAsync("logout");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["Signed out: the stored tokens were deleted and the server revoked the refresh token."], run.Lines);
        Assert.Null(await host.StoredTokensAsync());
        var revocation = host.Bodies("/revoke").Single();
        Assert.Contains("token=" + CliTestHost.Refresh1, revocation, StringComparison.Ordinal);
        Assert.Contains("token_type_hint=refresh_token", revocation, StringComparison.Ordinal);

        var status = await host.RunAsync("status");
        Assert.Equal(2, status.ExitCode);
    }

    [Fact]
    public async Task Logout_Json_ReportsTheRevocation()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddHours(1));
        host.RevocationEndpointAnswers(503);

        var run = await host.RunAsync("logout", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var signedOut = run.Event("signed_out");
        Assert.Equal("logout", signedOut.GetProperty("reason").GetString());
        Assert.Equal("failed", signedOut.GetProperty("revocation").GetString());
        Assert.True(signedOut.GetProperty("had_tokens").GetBoolean());
        Assert.Null(await host.StoredTokensAsync());
    }

    [Fact]
    public async Task Logout_NothingStored_ExitsZero()
    {
        await using var host = CliTestHost.Start();

        var run = await host.RunAsync("logout");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["Not signed in: there were no stored tokens to delete."], run.Lines);
        Assert.Equal(0, host.Calls("/revoke"));
    }

    [Fact]
    public async Task Logout_Twice_SecondRunSaysNotSignedInAndRevokesNothing()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddHours(1));
        host.RevocationEndpointAnswers();
        Assert.Equal(0, (await host.RunAsync("logout")).ExitCode);

        // The first logout left a sign-out record in the token file, not tokens.
        var run = await host.RunAsync("logout");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["Not signed in: there were no stored tokens to delete."], run.Lines);
        Assert.Equal(1, host.Calls("/revoke"));
    }
}
