namespace AuthHandler.Tests.Sample;

public sealed class HelpTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("login", "--help")]
    [InlineData("call", "--help")]
    public async Task Help_DocumentsExitCodesAndEnvironmentVariables(params string[] arguments)
    {
        var run = await SampleProcess.RunAsync(arguments);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Exit codes:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("  2  sign-in required", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("  3  the user declined the sign-in", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("  4  the sign-in code expired", run.Stdout, StringComparison.Ordinal);
        foreach (var variable in new[] { "AUTHHANDLER_AUTHORITY", "AUTHHANDLER_CLIENT_ID", "AUTHHANDLER_CLIENT_SECRET", "AUTHHANDLER_SCOPE", "AUTHHANDLER_STORE", "AUTHHANDLER_DPOP", "AUTHHANDLER_JSON" })
        {
            Assert.Contains(variable, run.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_LoginListsTheDpopOption()
    {
        var run = await SampleProcess.RunAsync(["login", "--help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"(?m)^  --dpop\s+Ask for DPoP-bound tokens \(RFC 9449\)", run.Stdout);
    }

    [Fact]
    public async Task Help_RootListsTheFourCommands()
    {
        var run = await SampleProcess.RunAsync(["--help"]);

        foreach (var command in new[] { "login", "call <URL>", "status", "logout" })
        {
            Assert.Contains("  " + command + " ", run.Stdout, StringComparison.Ordinal);
        }
    }
}
