namespace AuthHandler.Tests.Integration;

/// <summary>
/// The test host ends what a failed test left running: a test that fails while the token
/// endpoint is held must fail, not hang the run.
/// </summary>
public sealed class AuthTestHostTests
{
    private const string Access1 = "at-1-" + AuthTestHost.SecretMarker;

    [Theory]
    [InlineData(200)]
    [InlineData(503)]
    public async Task DisposeAsync_HeldAnswerNeverReleasedByTheTest_EndsWithinTheBound(int status)
    {
        // 503: once released, the answer sends the refresh to a retry parked on the fake clock,
        // which nobody advances; only cancelling the session's refresh ends it.
        var host = AuthTestHost.Start(o => o.BackchannelMaxRetryAttempts = 1);
        await host.SeedAsync(Access1, lifetime: TimeSpan.FromMinutes(10));
        var held = HeldTokenEndpoint.Answer(host, status == 200 ? AuthTestHost.Tokens("at-2-" + AuthTestHost.SecretMarker, "rt-2-" + AuthTestHost.SecretMarker) : new { }, status);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var request = host.Client.GetAsync("/data", TestContext.Current.CancellationToken);
        await held.WaitUntilReachedAsync();

        // What a test that fails here leaves behind: no Release, no dispose of the held answer.
        var disposal = host.DisposeAsync().AsTask();
        var ended = await Task.WhenAny(disposal, Task.Delay(AuthTestHost.DisposeBound * 2, TestContext.Current.CancellationToken));

        Assert.Same(disposal, ended);
        await disposal;
        await Task.WhenAny(request);
        Assert.True(request.IsCompleted);
    }
}
