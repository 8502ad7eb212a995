using AuthHandler.Device.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthHandler.Tests.Integration;

/// <summary>
/// The device id file on a real file system. Racing callers are threads with their own file
/// handles: the OS lock (flock, or the exclusive open on Windows) behaves between two handles of
/// one process as between two processes.
/// </summary>
public sealed class DeviceIdFileTests : IDisposable
{
    private const int Replaced = 27;
    private const int NotPersisted = 28;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "authhandler-id-" + Guid.NewGuid().ToString("N"));
    private readonly FakeLogger _logger = new();

    private string IdPath => Path.Combine(_directory, DeviceIdFile.FileName);

    /// <summary>Sixteen threads, released together, each resolving the id with handles of its own.</summary>
    private async Task<string[]> RaceAsync(ILogger logger)
    {
        using var start = new Barrier(16);
        return await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return DeviceIdFile.ReadOrCreate(_directory, logger);
            },
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));
    }

    [Fact]
    public void ReadOrCreate_NoFile_CreatesOwnerOnlyFileAndReturnsItsId()
    {
        var id = DeviceIdFile.ReadOrCreate(_directory, _logger);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, File.ReadAllText(IdPath));
        Assert.Equal(id, DeviceIdFile.ReadOrCreate(_directory, _logger));
        Assert.Equal([IdPath, IdPath + ".lock"], Directory.GetFiles(_directory).Order(StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(IdPath));
        }

        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public void ReadOrCreate_ValidFileInUpperCaseWithNewline_IsReadAndLeftAsItIs()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(IdPath, "0123456789ABCDEF0123456789ABCDEF\n");

        var id = DeviceIdFile.ReadOrCreate(_directory, _logger);

        Assert.Equal("0123456789abcdef0123456789abcdef", id);
        Assert.Equal("0123456789ABCDEF0123456789ABCDEF\n", File.ReadAllText(IdPath));
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Theory]
    [InlineData("garbage!!")]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcdef                                                   x")]
    public void ReadOrCreate_CorruptedFile_IsReplacedWithANewOwnerOnlyIdAndLoggedWithoutTheId(string content)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(IdPath, content);

        var id = DeviceIdFile.ReadOrCreate(_directory, _logger);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, File.ReadAllText(IdPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(IdPath));
        }

        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(Replaced, record.Id.Id);
        Assert.Contains(IdPath, record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(id, record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOrCreate_LargeFile_IsReplacedWithoutBeingReadWhole()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(IdPath, new byte[1 << 20]);

        var id = DeviceIdFile.ReadOrCreate(_directory, _logger);

        Assert.Equal(id, File.ReadAllText(IdPath));
        Assert.Equal(Replaced, Assert.Single(_logger.Collector.GetSnapshot()).Id.Id);
    }

    [Fact]
    public async Task ReadOrCreate_CorruptedFileAndSixteenRacingCallers_AllReturnTheOneIdLeftInTheFile()
    {
        for (var round = 0; round < 10; round++)
        {
            Directory.CreateDirectory(_directory);
            File.WriteAllText(IdPath, "garbage!!");
            var logger = new FakeLogger();

            var ids = await RaceAsync(logger);

            // One replacement wins; a repairer never overwrites a valid id, so every caller
            // (including the ones that repaired nothing) ends with the id that is in the file.
            var inFile = File.ReadAllText(IdPath);
            Assert.All(ids, id => Assert.Equal(inFile, id));
            Assert.Equal(Replaced, Assert.Single(logger.Collector.GetSnapshot()).Id.Id);
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task ReadOrCreate_NoFileAndSixteenRacingCallers_AllReturnTheOneIdInTheFile()
    {
        for (var round = 0; round < 10; round++)
        {
            var ids = await RaceAsync(_logger);

            var inFile = File.ReadAllText(IdPath);
            Assert.All(ids, id => Assert.Equal(inFile, id));
            Directory.Delete(_directory, recursive: true);
        }

        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public void ReadOrCreate_DirectoryNamedDeviceId_GivesAProcessIdAndLeavesTheDirectory()
    {
        Directory.CreateDirectory(IdPath);
        File.WriteAllText(Path.Combine(IdPath, "keep"), "x");

        var id = DeviceIdFile.ReadOrCreate(_directory, _logger);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.True(File.Exists(Path.Combine(IdPath, "keep")));
        var record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(NotPersisted, record.Id.Id);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.DoesNotContain(id, record.Message + record.Exception, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOrCreate_StorageDirectoryUnderARegularFile_GivesAProcessId()
    {
        Directory.CreateDirectory(_directory);
        var file = Path.Combine(_directory, "file");
        File.WriteAllText(file, "x");

        var id = DeviceIdFile.ReadOrCreate(Path.Combine(file, "sub"), _logger);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal("x", File.ReadAllText(file));
        Assert.Equal(NotPersisted, Assert.Single(_logger.Collector.GetSnapshot()).Id.Id);
    }

    [Fact]
    public void GetOrCreate_UnwritableDirectory_GivesOneIdPerProcessAndLogsOnce()
    {
        Directory.CreateDirectory(IdPath);

        var first = DeviceIdFile.GetOrCreate(_directory, _logger);
        var second = DeviceIdFile.GetOrCreate(_directory, _logger);

        Assert.Equal(first, second);
        Assert.Single(_logger.Collector.GetSnapshot());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
