// Each test starts a .NET process (the demo starts a web server too). One at a time keeps a
// small CI machine responsive for the other test projects that run beside this one.
[assembly: Xunit.v3.Parallelization(MaxThreads = 1)]
