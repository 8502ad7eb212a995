using AuthHandler.Fuzz;
using SharpFuzz;

// Usage:
//   AuthHandler.Fuzz <target>                      under afl-fuzz (fuzz/run.sh): the SharpFuzz fork server
//   AuthHandler.Fuzz <target> --replay <path>...   runs files (or every file in directories) once each
// Targets: token | www-authenticate | device | metadata.

if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: AuthHandler.Fuzz <{string.Join(" | ", Targets.All.Keys)}> [--replay <file or directory>...]");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    return Replay.Run(target, args.AsSpan(2));
}

// Out of process: a stack overflow or another fatal error in the target is reported to
// afl-fuzz as a crash instead of ending the fork server.
// AUTHHANDLER_FUZZ_EXCEPTIONS=<file> appends each crash's exception there: afl-fuzz discards the
// target's output, and the instrumented library cannot run outside afl-fuzz to replay it.
var exceptionLog = Environment.GetEnvironmentVariable("AUTHHANDLER_FUZZ_EXCEPTIONS");
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    try
    {
        target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }
    catch (Exception ex) when (exceptionLog is not null && Log(exceptionLog, buffer, ex))
    {
        // Never reached: the filter logs and lets the exception go on to afl-fuzz.
    }
});
return 0;

static bool Log(string path, MemoryStream input, Exception exception)
{
    File.AppendAllText(path, $"input base64 {Convert.ToBase64String(input.GetBuffer(), 0, (int)input.Length)}{Environment.NewLine}{exception}{Environment.NewLine}{Environment.NewLine}");
    return false;
}
