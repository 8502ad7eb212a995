namespace ApiClient.Cli;

/// <summary>A resolved value and where it came from, so a message about it names what the user can change.</summary>
/// <param name="Value">The value.</param>
/// <param name="Origin">How the user set it: the option (<c>--authority</c>), the environment variable, or the remembered file.</param>
/// <param name="FromCommandLine">Whether it was given as an option on this command line.</param>
internal readonly record struct Setting(string Value, string Origin, bool FromCommandLine);
