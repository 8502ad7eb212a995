using System.Text;

namespace AuthHandler.Tests.Sample;

public sealed class StatusTests
{
    [Fact]
    public async Task Status_SignedIn_ShowsAccountScopeAndExpiryButNoToken()
    {
        await using var host = CliTestHost.Start();

        // An ID token whose signature part holds the marker: the account may be shown, the token never.
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"sub":"42","preferred_username":"alice@example.com"}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var idToken = "eyJhbGciOiJub25lIn0." + payload + "." + SampleProcess.SecretMarker;
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddMinutes(30), idToken: idToken);

        var run = await host.RunAsync("status");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal($"Signed in to {host.Authority} as client cli.", run.Lines[0]);
        Assert.Equal("  Account:       alice@example.com", run.Lines[1]);
        Assert.Equal("  Scope:         read write", run.Lines[2]);
        Assert.Matches(@"^  Access token:  expires at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(in (29|30) min\)$", run.Lines[3]);
        Assert.Equal("  Refresh token: stored (no expiry given)", run.Lines[4]);
        Assert.StartsWith("  Stored in:     owner-only files in " + host.Store, run.Lines[5], StringComparison.Ordinal);
        Assert.Empty(host.Server.LogEntries);
    }

    [Fact]
    public async Task Status_NoSessionBus_SaysInOneLineTheTokensAreInTheFileBecauseThereIsNoSessionBus()
    {
        // SampleProcess runs the sample without DBUS_SESSION_BUS_ADDRESS, as over SSH or in CI.
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddMinutes(30));

        var run = await host.RunAsync("status");

        Assert.True(run.ExitCode == 0, run.ToString());
        var stored = Assert.Single(run.Lines, line => line.StartsWith("  Stored in:", StringComparison.Ordinal));
        Assert.Equal(
            $"  Stored in:     owner-only files in {host.Store} (the credential store cannot be used: there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set, as in an SSH session, a container or CI))",
            stored);
    }

    [Fact]
    public async Task Status_JsonNoSessionBus_TokenStorageFieldIsTheFileInTheStoreWithTheFallbackReason()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddMinutes(30));

        var run = await host.RunAsync("status", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var storage = run.Event("status").GetProperty("token_storage");
        Assert.Equal("file", storage.GetProperty("kind").GetString());
        Assert.Equal($"owner-only files in {host.Store}", storage.GetProperty("description").GetString());
        Assert.Contains("there is no D-Bus session bus", storage.GetProperty("fallback_reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AccessTokenExpired_StillSignedInWithARefreshToken()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddMinutes(-5));

        var run = await host.RunAsync("status");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(run.Lines, line => line.StartsWith("  Access token:  expired at ", StringComparison.Ordinal) && line.EndsWith("the next call refreshes it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_NotSignedIn_Exits2WithTheLoginCommand()
    {
        await using var host = CliTestHost.Start();

        var run = await host.RunAsync("status");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal($"Not signed in to {host.Authority} as client cli: no tokens are stored.", run.Lines[0]);
        Assert.StartsWith($"Run: {SampleProcess.CommandName} login --authority {host.Authority} --client-id cli", run.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_TokenFileCorrupted_Exits2SayingSo()
    {
        await using var host = CliTestHost.Start();
        await host.CorruptTheStoreAsync();

        var run = await host.RunAsync("status");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"Not signed in to {host.Authority} as client cli: The token file ", run.Lines[0], StringComparison.Ordinal);
        Assert.Contains("is corrupted", run.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_Json_OneStatusEvent()
    {
        await using var host = CliTestHost.Start();
        var expires = DateTimeOffset.UtcNow.AddMinutes(30);
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, expires);

        var run = await host.RunAsync("status", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var status = Assert.Single(run.Events());
        Assert.Equal("status", status.GetProperty("event").GetString());
        Assert.True(status.GetProperty("signed_in").GetBoolean());
        Assert.False(status.GetProperty("access_token_expired").GetBoolean());
        Assert.True(status.GetProperty("has_refresh_token").GetBoolean());
        Assert.Equal("read write", status.GetProperty("scope").GetString());
        Assert.Equal(host.Authority, status.GetProperty("authority").GetString());
        Assert.Equal(expires.ToUnixTimeSeconds(), status.GetProperty("access_token_expires_at").GetDateTimeOffset().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Status_OptionsFromEnvironmentVariables()
    {
        await using var host = CliTestHost.Start();
        await host.SeedAsync(CliTestHost.Access1, CliTestHost.Refresh1, DateTimeOffset.UtcNow.AddMinutes(30));

        var run = await SampleProcess.RunAsync(["status"], new Dictionary<string, string?>
        {
            ["AUTHHANDLER_AUTHORITY"] = host.Authority,
            ["AUTHHANDLER_CLIENT_ID"] = CliTestHost.ClientId,
            ["AUTHHANDLER_SCOPE"] = CliTestHost.Scope,
            ["AUTHHANDLER_STORE"] = host.Store,
            ["AUTHHANDLER_JSON"] = "1",
        });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Event("status").GetProperty("signed_in").GetBoolean());
    }

    [Fact]
    public async Task Status_Json_PlainJsonWithQuotesEscapedAsBackslashQuoteNotUnicode()
    {
        await using var host = CliTestHost.Start();

        // The scope holds a space, so the login command in the event quotes it.
        var run = await host.RunAsync("status", "--json");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.DoesNotContain("\\u00", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--scope \\\"read write\\\"", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(
            $"{SampleProcess.CommandName} login --authority {host.Authority} --client-id cli --scope \"read write\" --store {host.Store}",
            run.Event("status").GetProperty("login_command").GetString());
    }
}
