namespace AuthHandler.Tests.Sample;

/// <summary>The demo as the README's first command runs it: no arguments, no network, no set-up.</summary>
public sealed class DemoTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Demo_PlainOutput_TellsEachStepInOneLineAndExitsZero()
    {
        var run = await SampleProcess.RunAsync([], timeout: Limit);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Stderr);
        Assert.DoesNotContain('\u001b', run.Stdout);
        Assert.DoesNotContain(run.Lines, line => line.Contains("demo-secret-", StringComparison.Ordinal));
        var lines = run.Lines;
        Assert.Matches(@"^AuthHandler demo: an embedded authorization server and API on http://127\.0\.0\.1:\d+ ", lines[0]);
        Assert.Matches(@"^To sign in, open http://127\.0\.0\.1:\d+/activate and enter the code [B-Z]{4}-[B-Z]{4} \(or open http://127\.0\.0\.1:\d+/activate\?user_code=[B-Z]{4}-[B-Z]{4}\)\.", lines[1]);
        Assert.StartsWith("Waiting for approval; the code expires in", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^1\. Signed in with the device flow after \d+\.\d s; the access token lasts 4 s", lines[3]);
        Assert.Matches(@"^2\. GET /api/me answered 200 for demo-user, and the API received all 6 device headers: X-Device-Platform=ApiClient, X-Device-App-Version=1\.0\.0, X-Device-Name=\S+, X-Device-Id=[0-9a-f]{8}", lines[4]);
        Assert.Matches(@"^3\. The access token expired \d+\.\d s ago; the next call waited for 1 refresh and got 200; the server rotated the refresh token\.$", lines[5]);
        Assert.Matches(@"^4\. The server invalidated the access token; 40 concurrent calls got \d+ x 401 between them, caused exactly 1 refresh, and all 40 succeeded on their one retry\.$", lines[6]);
        Assert.Matches(@"^5\. The server revoked the refresh token; the next call got 401 and raised the sign-in-required signal \(RefreshRejected, invalid_grant\); the session state is SignInRequired, the token store is empty, and a later call failed fast \(Sign-in required\) without reaching the API\.$", lines[7]);
        Assert.Matches(@"^The tokens were DPoP-bound \(key jkt=[A-Za-z0-9_-]{43}\): every token and API request carried a proof, the server verified \d+ of them, and the API asked for a nonce once\.$", lines[8]);
        Assert.Matches(@"^Demo complete in \d+\.\d s; ", lines[9]);
        Assert.Equal(10, lines.Length);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(45), $"The demo took {run.Elapsed.TotalSeconds:0.0} s.");
    }

    [Fact]
    public async Task Demo_Json_EmitsOneEventPerLineAndDeletesItsStore()
    {
        var run = await SampleProcess.RunAsync(["--json"], timeout: Limit);

        Assert.True(run.ExitCode == 0, run.ToString());
        var names = run.EventNames();
        Assert.Equal(
            ["demo_started", "code_issued", "waiting", "signed_in", "step", "step", "refreshed", "step", "refreshed", "step", "signed_out", "step", "dpop", "demo_finished"],
            names);
        Assert.Equal([1, 2, 3, 4, 5], run.Events().Where(e => e.GetProperty("event").GetString() == "step").Select(e => e.GetProperty("step").GetInt32()));
        Assert.Equal("refresh_rejected", run.Event("signed_out").GetProperty("reason").GetString());
        Assert.Equal("invalid_grant", run.Event("signed_out").GetProperty("error").GetString());
        Assert.True(run.Event("signed_in").GetProperty("has_refresh_token").GetBoolean());
        Assert.Equal("DPoP", run.Event("signed_in").GetProperty("token_type").GetString());
        Assert.Equal(run.Event("signed_in").GetProperty("dpop_jkt").GetString(), run.Event("dpop").GetProperty("jkt").GetString());

        // Every token request (sign-in, two refreshes) and API call carried a proof the server verified.
        Assert.True(run.Event("dpop").GetProperty("verified_proofs").GetInt32() >= 45, run.ToString());
        var store = run.Event("demo_started").GetProperty("store").GetString()!;
        Assert.StartsWith(Path.GetTempPath(), store, StringComparison.Ordinal);
        Assert.False(Directory.Exists(store), "The demo left its token store behind.");
    }
}
