using System.Buffers.Text;
using System.Text.Json;
using AuthHandler.Protocol.DPoP.Internal;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace AuthHandler.Tests.Sample;

/// <summary>
/// <c>login --dpop</c> and <c>AUTHHANDLER_DPOP</c> against the WireMock server: what the server
/// received (a proof on the token request, <c>Authorization: DPoP</c> and a proof on the API call),
/// what was stored (a key), what status says (the key's thumbprint), and that the key is never printed.
/// </summary>
public sealed class DPoPLoginTests
{
    [Fact]
    public async Task LoginDpop_TokenRequestCarriesAProofByTheStoredKeyAndStatusSaysDPoPBoundWithItsThumbprint()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, DPoPTokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var login = await host.RunAsync("login", "--dpop");

        Assert.True(login.ExitCode == 0, login.ToString());
        var stored = await host.StoredTokensAsync();
        Assert.True(DPoPKey.TryImport(stored?.DPoPKey, out var key, out _), "No DPoP key was stored.");
        using (key)
        {
            // The server received a proof signed with the stored key's public half.
            var proof = Assert.Single(Proofs(host, "/token"));
            Assert.Equal(PublicJwk(key), ProofJwk(proof));
            Assert.Contains($"; the tokens are DPoP-bound (jkt {key.Thumbprint}).", login.Lines[2], StringComparison.Ordinal);

            var status = await host.RunBareAsync(["status"]);
            var json = await host.RunBareAsync(["status", "--json"]);

            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Equal($"  Tokens:        DPoP-bound (jkt {key.Thumbprint}): each request carries a proof signed with the stored key", status.Lines[^1]);
            Assert.Equal("DPoP", json.Event("status").GetProperty("token_type").GetString());
            Assert.Equal(key.Thumbprint, json.Event("status").GetProperty("dpop_jkt").GetString());
            AssertNoKey(stored!.DPoPKey!, login, status, json);
        }
    }

    [Fact]
    public async Task LoginDpop_RemembersDPoP_CallWithoutTheFlagSendsAuthorizationDPoPWithAProof()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, DPoPTokens(CliTestHost.Access1, CliTestHost.Refresh1)));
        host.Server.Given(Request.Create().WithPath(CliTestHost.ApiPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true}"));

        var login = await host.RunAsync("login", "--dpop");
        var call = await host.RunBareAsync(["call", host.ApiUrl]);

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.True(call.ExitCode == 0, call.ToString());
        using var remembered = JsonDocument.Parse(await File.ReadAllTextAsync(host.RememberedFile, TestContext.Current.CancellationToken));
        Assert.True(remembered.RootElement.GetProperty("dpop").GetBoolean());
        var api = Assert.Single(host.Server.LogEntries, e => e.RequestMessage.Path == CliTestHost.ApiPath).RequestMessage;
        Assert.Equal("DPoP " + CliTestHost.Access1, api.Headers!["Authorization"].Single());
        Assert.Single(api.Headers!["DPoP"]);
        AssertNoKey((await host.StoredTokensAsync())!.DPoPKey!, login, call);
    }

    [Fact]
    public async Task StatusWithAuthhandlerDpop0_AfterLoginDpop_SaysTheBoundTokensNeedDPoPOn()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, DPoPTokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var login = await host.RunAsync("login", "--dpop");
        var status = await host.RunBareAsync(["status"], new Dictionary<string, string?> { ["AUTHHANDLER_DPOP"] = "0" });

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Matches(@"^  Tokens:        DPoP-bound \(jkt [A-Za-z0-9_-]{43}\), but DPoP is off for this command, so call cannot use them: pass --dpop, or sign in again without it$", status.Lines[^1]);
    }

    [Fact]
    public async Task LoginWithAuthhandlerDpop1_TokenRequestCarriesAProof()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, DPoPTokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var login = await host.RunAsync("login", new Dictionary<string, string?> { ["AUTHHANDLER_DPOP"] = "1" });

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Single(Proofs(host, "/token"));
        Assert.NotNull((await host.StoredTokensAsync())?.DPoPKey);
    }

    [Fact]
    public async Task LoginWithoutDpop_TokenRequestCarriesNoProofAndStatusSaysBearer()
    {
        await using var host = CliTestHost.Start();
        host.DeviceEndpointAnswers();
        host.TokenEndpointSequence((200, CliTestHost.Tokens(CliTestHost.Access1, CliTestHost.Refresh1)));

        var login = await host.RunAsync("login");
        var status = await host.RunBareAsync(["status"]);
        var json = await host.RunBareAsync(["status", "--json"]);

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Empty(Proofs(host, "/token"));
        Assert.Equal("  Tokens:        Bearer", status.Lines[^1]);
        Assert.Equal("Bearer", json.Event("status").GetProperty("token_type").GetString());
        Assert.False(json.Event("status").TryGetProperty("dpop_jkt", out _));
    }

    private static object DPoPTokens(string accessToken, string refreshToken) =>
        new { access_token = accessToken, token_type = "DPoP", expires_in = 3600, refresh_token = refreshToken, scope = CliTestHost.Scope };

    private static List<string> Proofs(CliTestHost host, string path) =>
        host.Server.LogEntries
            .Where(e => e.RequestMessage.Path == path && e.RequestMessage.Headers?.ContainsKey("DPoP") == true)
            .SelectMany(e => e.RequestMessage.Headers!["DPoP"])
            .ToList();

    /// <summary>The x and y of the jwk in a proof's JWS header.</summary>
    private static (string? X, string? Y) ProofJwk(string proof)
    {
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(proof.Split('.')[0]));
        var jwk = header.RootElement.GetProperty("jwk");
        return (jwk.GetProperty("x").GetString(), jwk.GetProperty("y").GetString());
    }

    private static (string? X, string? Y) PublicJwk(DPoPKey key)
    {
        using var jwk = JsonDocument.Parse(key.PublicJwk);
        return (jwk.RootElement.GetProperty("x").GetString(), jwk.RootElement.GetProperty("y").GetString());
    }

    /// <summary>The stored key (a secret like the refresh token) appears in no output; the token marker is checked by every run.</summary>
    private static void AssertNoKey(string storedKey, params SampleRun[] runs)
    {
        foreach (var run in runs)
        {
            Assert.DoesNotContain(storedKey, run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(storedKey, run.Stderr, StringComparison.Ordinal);
        }
    }
}
