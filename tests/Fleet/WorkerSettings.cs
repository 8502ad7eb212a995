using System.Globalization;

namespace AuthHandler.Fleet;

/// <summary>What the parent tells a worker on its command line (<c>worker</c> followed by these, in order).</summary>
internal sealed record WorkerSettings(
    int Index,
    string RedisConfiguration,
    Uri Server,
    string KeyRingDirectory,
    string StorageDirectory,
    int Loops,
    TimeSpan Duration,
    TimeSpan ThinkTime)
{
    public const string Mode = "worker";

    public string Id => Index.ToString(CultureInfo.InvariantCulture);

    public IEnumerable<string> ToArguments() =>
    [
        Mode,
        Id,
        RedisConfiguration,
        Server.ToString(),
        KeyRingDirectory,
        StorageDirectory,
        Loops.ToString(CultureInfo.InvariantCulture),
        Duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        ThinkTime.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
    ];

    public static WorkerSettings Parse(string[] args) => args.Length == 9 && args[0] == Mode
        ? new WorkerSettings(
            int.Parse(args[1], CultureInfo.InvariantCulture),
            args[2],
            new Uri(args[3]),
            args[4],
            args[5],
            int.Parse(args[6], CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds(double.Parse(args[7], CultureInfo.InvariantCulture)),
            TimeSpan.FromMilliseconds(double.Parse(args[8], CultureInfo.InvariantCulture)))
        : throw new ArgumentException("usage: AuthHandler.Fleet worker INDEX REDIS SERVER KEYS STORAGE LOOPS DURATION-MS THINK-MS");
}
