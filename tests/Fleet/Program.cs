using System.Runtime.InteropServices;
using AuthHandler.Fleet;

// The fleet fault harness of issue 14 ("Figures"): N worker processes share one sign-in through
// AddRedisTokenCoordination on a private redis-server, each running L call loops for D seconds
// against a loopback authorization server that rotates refresh tokens with reuse detection
// (RFC 9700 §4.14), while one fault is injected at t = 20 s. Prints the report; --out writes it as JSON.
//
//   dotnet run -c Release --project tests/Fleet -- --fault kill-holder --out kill-holder.json
//   (faults: none, lost-response, kill-holder, kill-before-write, redis-outage, redis-down, redis-restart;
//    see FleetSettings.Usage for the other options and FleetFault for what each fault does)
//
//   tests/Fleet/run-all.sh results/before      every fault once, in turn, and the Markdown table
//   dotnet run -c Release --project tests/Fleet -- table results/before/*.json
//
// Exit code 0 when the run completed (whether or not it met issue 14's goals: it measures),
// 2 on a usage error, 130 when stopped (SIGINT, SIGTERM). `worker …` is the child mode the harness starts itself.
if (args.Length > 0 && args[0] == WorkerSettings.Mode)
{
    return await Worker.RunAsync(WorkerSettings.Parse(args));
}

if (args.Length > 0 && args[0] == ReportTable.Mode)
{
    return await ReportTable.PrintAsync(args.Skip(1));
}

FleetSettings settings;
try
{
    settings = FleetSettings.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(FleetSettings.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();

// Ctrl-C or a plain kill: stop the run, then clean up (workers, redis-server, the temporary directory).
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

FleetReport report;
try
{
    report = await FleetRun.RunAsync(settings, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped; workers, redis-server and the temporary directory are gone.");
    return 130;
}

Console.WriteLine();
Console.Write(ReportPrinter.Format(report));
if (settings.OutputPath is { } path)
{
    await FleetRun.WriteAsync(report, path);
    Console.WriteLine($"Report written to {path}");
}

return 0;
