namespace AuthHandler.Tests.Sample;

/// <summary>Command lines that do not parse, and values that are not what the options need: short answers in command-line terms.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task Typo_PrintsTheErrorTheSuggestionAndAShortUsageNotTheHelp_Exits1()
    {
        var run = await SampleProcess.RunAsync(["stauts"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Empty(run.Stdout);
        Assert.Equal(ShortUsage("stauts", "status", string.Empty, "[login|call|status|logout|demo] [options]"), run.ErrorLines);
    }

    [Fact]
    public async Task UnknownOption_PrintsTheErrorAndTheCommandsUsage_Exits1()
    {
        var run = await SampleProcess.RunAsync(["call", "https://api.example.com/", "--jsno"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Empty(run.Stdout);
        Assert.Equal(ShortUsage("--jsno", "--json", " call", "<URL> [options]"), run.ErrorLines);
    }

    [Fact]
    public async Task Typo_Json_OneErrorEventWithTheSuggestion()
    {
        var run = await SampleProcess.RunAsync(["--json", "stauts"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        var error = Assert.Single(run.Events());
        Assert.Equal("usage", error.GetProperty("code").GetString());
        Assert.Equal(1, error.GetProperty("exit_code").GetInt32());
        var message = error.GetProperty("message").GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("\nstatus\n", message, StringComparison.Ordinal);
        Assert.Equal(5, message.Split('\n').Length);
    }

    [Theory]
    [InlineData("http://id.example.com", "--authority 'http://id.example.com' must use https")]
    [InlineData("not-a-url", "--authority 'not-a-url' is not an absolute http(s) URL")]
    public async Task Status_BadAuthority_OneLineNamingTheOptionNotTheLibrarysOptions_Exits1(string authority, string expected)
    {
        var run = await SampleProcess.RunAsync(["status", "--authority", authority, "--client-id", "cli"]);

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("DeviceAuthOptions", line, StringComparison.Ordinal);
        Assert.DoesNotContain("BaseAddress", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_BadAuthorityFromTheEnvironment_NamesTheVariable()
    {
        var run = await SampleProcess.RunAsync(["status"], new Dictionary<string, string?>
        {
            ["AUTHHANDLER_AUTHORITY"] = "ftp://id.example.com",
            ["AUTHHANDLER_CLIENT_ID"] = "cli",
        });

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("AUTHHANDLER_AUTHORITY 'ftp://id.example.com' is not an absolute http(s) URL", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_HttpUrlOffLoopback_NamesTheUrlNotTheBaseAddress()
    {
        await using var host = CliTestHost.Start();

        var run = await host.RunAsync("call", "http://api.example.com/data");

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("URL 'http://api.example.com/data' must use https", line, StringComparison.Ordinal);
        Assert.DoesNotContain("BaseAddress", line, StringComparison.Ordinal);
        Assert.Empty(host.Server.LogEntries);
    }

    /// <summary>The five lines of a parse error: the error, System.CommandLine's suggestion, the usage, and where the full help is.</summary>
    private static string[] ShortUsage(string token, string suggestion, string command, string shape) =>
    [
        $"Unrecognized command or argument '{token}'.",
        $"'{token}' was not matched. Did you mean one of the following?",
        suggestion,
        $"Usage: {SampleProcess.CommandName}{command} {shape}",
        $"Run '{SampleProcess.CommandName}{command} --help' for all options, exit codes and environment variables.",
    ];
}
