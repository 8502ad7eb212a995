namespace AuthHandler.Tests.Browser;

/// <summary>Where the browser tests look for chromium, and what they do when there is none. No browser starts.</summary>
public sealed class ChromiumDiscoveryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-discovery-" + Guid.NewGuid().ToString("N"));

    public ChromiumDiscoveryTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Find_EnvironmentVariableNamesAMissingFile_FindsNothingAndDoesNotFallBackToAWellKnownPathOrPath()
    {
        var wellKnown = Executable("well-known-chromium");
        Executable("chromium");
        var environment = Environment(("AUTHHANDLER_CHROMIUM", "/nonexistent"), ("PATH", _directory));

        var found = ChromiumDiscovery.Find(environment, [wellKnown], out var reason);

        Assert.Null(found);
        Assert.Contains("AUTHHANDLER_CHROMIUM=/nonexistent", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_EnvironmentVariableNamesAnExecutable_ReturnsItBeforeAWellKnownPath()
    {
        var configured = Executable("my-chromium");

        var found = ChromiumDiscovery.Find(Environment(("AUTHHANDLER_CHROMIUM", configured)), [Executable("well-known-chromium")], out _);

        Assert.Equal(configured, found);
    }

    [Fact]
    public void Find_NoEnvironmentVariable_PrefersAWellKnownPathThenChromiumOnPath()
    {
        var onPath = Executable("chromium");
        var wellKnown = Executable("well-known-chromium");
        var environment = Environment(("PATH", _directory));

        Assert.Equal(wellKnown, ChromiumDiscovery.Find(environment, [Path.Combine(_directory, "absent"), wellKnown], out _));
        Assert.Equal(onPath, ChromiumDiscovery.Find(environment, [Path.Combine(_directory, "absent")], out _));
    }

    [Fact]
    public void Find_FileWithoutExecuteBit_IsNotChromium()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Execute bits are POSIX.");
            return;
        }

        var file = Executable("chromium");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Null(ChromiumDiscovery.Find(Environment(("PATH", _directory)), [], out var reason));
        Assert.Contains("chromium not found", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    public void MissingIsFailure_OnlyUnderCiTrue(string? ci, bool failure)
    {
        Assert.Equal(failure, ChromiumDiscovery.MissingIsFailure(Environment(("CI", ci!))));
    }

    private string Executable(string name)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(variable => variable.Name == name).Value;
}
