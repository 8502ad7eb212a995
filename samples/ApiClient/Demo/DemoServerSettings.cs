namespace ApiClient.Demo;

/// <summary>The embedded server's timings: short, so the whole story runs in seconds.</summary>
internal sealed record DemoServerSettings
{
    /// <summary>How long after issuing a device code the server approves it by itself, as a user would.</summary>
    public TimeSpan ApprovalDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The polling interval the server asks for (RFC 8628 §3.2); the library's minimum is 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan DeviceCodeLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The lifetime of the sign-in's access token: short, so step 3 can watch it expire (whole seconds, as <c>expires_in</c> is).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// The lifetime of refreshed access tokens: long enough that step 4's burst never meets the
    /// refresh-ahead window (half the lifetime), even on a slow machine, so its one refresh is the 401's.
    /// </summary>
    public TimeSpan RefreshedAccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The demo-only switch <c>AUTHHANDLER_DEMO_AUTO_APPROVE</c>: the authorization endpoint approves
    /// at once with its redirect instead of showing the Approve/Deny page, so <c>demo --browser</c>
    /// runs without a person (tests, CI). A real authorization server never does this.
    /// </summary>
    public bool AutoApprove { get; init; }

    /// <summary>How long an authorization code (and an unanswered Approve/Deny page) stays valid.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; init; } = TimeSpan.FromMinutes(1);
}
