using AuthHandler.Soak;

// The soak test of issue 7 (docs/reliability.md): 64 concurrent callers against a Kestrel API
// and token endpoint on loopback, 2 s access tokens, 5 % injected 503s on the token endpoint.
// Exit code 0 when every check passes, 1 when one fails, 2 on a usage error.

SoakSettings settings;
try
{
    settings = SoakSettings.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SoakSettings.Usage);
    return 2;
}

var result = await SoakRun.RunAsync(settings);
Report.Print(settings, result);
return result.Passed ? 0 : 1;
