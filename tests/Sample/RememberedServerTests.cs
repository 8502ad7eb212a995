using System.Text.Json;

namespace AuthHandler.Tests.Sample;

/// <summary>login remembers the server, client id and scope; later commands need no options; options and variables still win.</summary>
public sealed class RememberedServerTests
{
    private const string Body = """{"me":"alice"}""";

    [Fact]
    public async Task Login_Succeeds_RemembersServerClientScopeAndStoreButNoSecretInAnOwnerOnlyFile()
    {
        await using var host = await SignedInAsync("--client-secret", "cs-" + SampleProcess.SecretMarker);

        var text = await File.ReadAllTextAsync(host.RememberedFile, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(SampleProcess.SecretMarker, text, StringComparison.Ordinal);
        using var remembered = JsonDocument.Parse(text);
        Assert.Equal(host.Authority, remembered.RootElement.GetProperty("authority").GetString());
        Assert.Equal(CliTestHost.ClientId, remembered.RootElement.GetProperty("client_id").GetString());
        Assert.Equal(CliTestHost.Scope, remembered.RootElement.GetProperty("scope").GetString());
        Assert.Equal(host.Store, remembered.RootElement.GetProperty("store").GetString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(host.RememberedFile));
        }
    }

    [Fact]
    public async Task CallAndStatus_NoOptions_UseTheRememberedServerClientScopeAndStore()
    {
        await using var host = await SignedInAsync();
        host.ApiAccepts(CliTestHost.Access1, Body);

        var call = await host.RunBareAsync(["call", host.ApiUrl]);
        var status = await host.RunBareAsync(["status", "--json"]);

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal([Body], call.Lines);
        var request = host.Server.LogEntries.Single(e => e.RequestMessage.Path == CliTestHost.ApiPath).RequestMessage;
        Assert.Equal("Bearer " + CliTestHost.Access1, request.Headers!["Authorization"].Single());
        Assert.True(status.ExitCode == 0, status.ToString());
        var report = status.Event("status");
        Assert.True(report.GetProperty("signed_in").GetBoolean());
        Assert.Equal(host.Authority, report.GetProperty("authority").GetString());
        Assert.Equal(CliTestHost.Scope, report.GetProperty("scope").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Status_ScopeFromOptionOrVariable_WinsOverTheRememberedScope(bool asOption)
    {
        await using var host = await SignedInAsync();

        var status = asOption
            ? await host.RunBareAsync(["status", "--json", "--scope", "admin"])
            : await host.RunBareAsync(["status", "--json"], new Dictionary<string, string?> { ["AUTHHANDLER_SCOPE"] = "admin" });

        // Another scope is another store entry: nothing is stored for it, and login is named with what was typed.
        Assert.True(status.ExitCode == 2, status.ToString());
        var report = status.Event("status");
        Assert.Equal("admin", report.GetProperty("scope").GetString());
        Assert.Equal(host.Authority, report.GetProperty("authority").GetString());
        Assert.Equal(
            asOption ? $"{SampleProcess.CommandName} login --scope admin" : $"{SampleProcess.CommandName} login",
            report.GetProperty("login_command").GetString());
    }

    [Fact]
    public async Task Status_AnotherAuthorityGiven_UsesNoneOfTheRememberedValues()
    {
        await using var host = await SignedInAsync();

        var run = await host.RunBareAsync(["status", "--authority", "https://other.example.com"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("Missing --client-id (or set AUTHHANDLER_CLIENT_ID)", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_RememberedFileCorrupt_OneWarningLineThenCarriesOnWithTheOptions()
    {
        await using var host = CliTestHost.Start();
        Directory.CreateDirectory(Path.GetDirectoryName(host.RememberedFile)!);
        await File.WriteAllTextAsync(host.RememberedFile, "{\"authority\": ", TestContext.Current.CancellationToken);

        var withOptions = await host.RunAsync("status");
        var bare = await host.RunBareAsync(["status"]);

        Assert.True(withOptions.ExitCode == 2, withOptions.ToString());
        Assert.Equal([$"Warning: Ignoring {host.RememberedFile}: it is not a remembered server (an object with authority and client_id). The next successful login writes it again."], withOptions.ErrorLines);
        Assert.Equal($"Not signed in to {host.Authority} as client cli: no tokens are stored.", withOptions.Lines[0]);
        Assert.True(bare.ExitCode == 1, bare.ToString());
        Assert.Equal(2, bare.ErrorLines.Length);
        Assert.StartsWith("Warning: Ignoring ", bare.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("No authorization server: pass --authority URL", bare.ErrorLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_NoOptions_SignsOutAndKeepsTheRememberedServerForTheNextLogin()
    {
        await using var host = await SignedInAsync();
        host.RevocationEndpointAnswers();

        var logout = await host.RunBareAsync(["logout"]);
        var status = await host.RunBareAsync(["status"]);

        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Null(await host.StoredTokensAsync());
        Assert.Contains("token=" + CliTestHost.Refresh1, host.Bodies("/revoke").Single(), StringComparison.Ordinal);
        Assert.True(File.Exists(host.RememberedFile));
        Assert.True(status.ExitCode == 2, status.ToString());
        Assert.Equal([$"Not signed in to {host.Authority} as client cli: no tokens are stored.", $"Run: {SampleProcess.CommandName} login"], status.Lines);
    }

    /// <summary>A host whose sample has run a successful login with all the options (and <paramref name="extra"/>).</summary>
    private static async Task<CliTestHost> SignedInAsync(params string[] extra)
    {
        var host = CliTestHost.Start();
        try
        {
            host.DeviceEndpointAnswers();
            host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));
            var login = await host.RunAsync("login", extra);
            Assert.True(login.ExitCode == 0, login.ToString());
            Assert.True(File.Exists(host.RememberedFile), "login remembered nothing.");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }
}
