namespace ApiClient.Cli;

/// <summary>The process exit codes: a contract that scripts and other tools rely on.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>A usage or configuration error, an unreachable server, or any other failure.</summary>
    public const int Failure = 1;

    /// <summary>The user must sign in (again): no tokens, or the refresh token was rejected.</summary>
    public const int SignInRequired = 2;

    /// <summary>The user declined the sign-in, on the device page or in the browser (<c>access_denied</c>).</summary>
    public const int AccessDenied = 3;

    /// <summary>The device code expired before the user approved it (<c>expired_token</c>), or no browser sign-in answer came in time.</summary>
    public const int CodeExpired = 4;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Cancelled = 130;

    public const string HelpText =
        """
        Exit codes:
          0  success
          1  usage or configuration error, server unreachable, unexpected error
          2  sign-in required (no tokens stored, or the refresh token was rejected): run login
          3  the user declined the sign-in (access_denied)
          4  the sign-in code expired before it was approved (expired_token), or the browser sign-in timed out
        """;
}
