namespace AuthHandler.Fuzz;

/// <summary>
/// Runs saved inputs (the committed corpus, or what afl-fuzz saved as crashes) through a target
/// without afl-fuzz, and prints the exception and stack of each one that crashes.
/// </summary>
internal static class Replay
{
    public static int Run(FuzzTarget target, ReadOnlySpan<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal));
            }
            else
            {
                files.Add(path);
            }
        }

        var crashes = 0;
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            try
            {
                target(input);
            }
            catch (Exception ex)
            {
                crashes++;
                Console.WriteLine($"CRASH {file} ({input.Length} bytes, base64 {Convert.ToBase64String(input)})");
                Console.WriteLine(ex.ToString());
            }
        }

        Console.WriteLine($"{files.Count} inputs, {crashes} crashes");
        return crashes == 0 ? 0 : 1;
    }
}
