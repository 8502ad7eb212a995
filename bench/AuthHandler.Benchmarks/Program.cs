using AuthHandler.Benchmarks.Scenarios;
using BenchmarkDotNet.Running;

// Console scenarios take positional arguments; anything else goes to BenchmarkDotNet.
//   stampede [requests=1000] [rounds=10]
//   steady   [seconds=30] [callers=64] [apiLatencyMs=0]
//   e2e      [seconds=10] [rounds=3] [concurrency=16]
var rest = args.Skip(1).ToArray();
return args.FirstOrDefault() switch
{
    "stampede" => await StampedeScenario.RunAsync(rest),
    "steady" => await SteadyLoadScenario.RunAsync(rest),
    "e2e" => await EndToEndScenario.RunAsync(rest),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
}
