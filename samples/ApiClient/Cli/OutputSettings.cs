namespace ApiClient.Cli;

/// <summary>How a command talks: JSON lines, rich terminal output, or plain lines.</summary>
/// <param name="Json">One JSON object per event on standard output.</param>
/// <param name="Rich">Colors, spinners and QR codes: standard output is a terminal and colors are allowed.</param>
/// <param name="Verbose">The library's log on standard error.</param>
internal sealed record OutputSettings(bool Json, bool Rich, bool Verbose);
