using Microsoft.Extensions.Logging;

namespace AuthHandler.Diagnostics.Internal;

/// <summary>
/// The log lines of AuthHandler.CredentialStore. Event ids are stable (1100 on; AuthHandler.Redis
/// has 1000 on). No token or secret is ever an argument: only client names, store descriptions,
/// directories and reasons that name a store, never its content.
/// </summary>
internal static partial class CredentialStoreLog
{
    [LoggerMessage(1100, LogLevel.Information, "Client {ClientName} keeps its tokens in {Location}")]
    public static partial void UsingCredentialStore(ILogger logger, string clientName, string location);

    [LoggerMessage(1101, LogLevel.Information, "Client {ClientName} keeps its tokens in {Location}, not encrypted, because the credential store cannot be used: {Reason}")]
    public static partial void FellBackToFile(ILogger logger, string clientName, string location, string reason);

    [LoggerMessage(1102, LogLevel.Information, "Client {ClientName} moved its tokens from the file {Path} into {Location}; the file now says so and holds no secret")]
    public static partial void ImportedTokenFile(ILogger logger, string clientName, string path, string location);
}
