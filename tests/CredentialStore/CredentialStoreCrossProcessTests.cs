using System.Text.Json;
using AuthHandler.DependencyInjection.Internal;
using AuthHandler.Storage.Internal;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// Eight OS processes (tests/CoordinationHelper with <c>UseCredentialTokenStore()</c>) share one
/// sign-in in a real Secret Service and one refresh token that the server rotates, treating any
/// reuse as theft (RFC 9700 §4.14). The keyring is no lock: the file lock beside it is.
/// </summary>
public sealed class CredentialStoreCrossProcessTests : IAsyncLifetime
{
    private const string Access1 = "at-1-SECRET";
    private const string Access2 = "at-2-SECRET";
    private const string Refresh1 = "rt-1-SECRET";
    private const string Refresh2 = "rt-2-SECRET";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PrivateSecretService _keyring = null!;
    private int _redemptions;

    public async ValueTask InitializeAsync()
    {
        _keyring = await PrivateSecretService.StartAsync();

        // The first use of rt-1 rotates it, once the test releases the answer; every later use is a reuse.
        var redeem = Request.Create().WithPath("/token").UsingPost().WithBody(new WildcardMatcher("*refresh_token=" + Refresh1 + "*"));
        var rotated = JsonSerializer.Serialize(new { access_token = Access2, token_type = "Bearer", expires_in = 3600, refresh_token = Refresh2 });
        _idp.Given(redeem).InScenario("rotation").WillSetStateTo("rotated").RespondWith(Response.Create().WithCallback(async _ =>
        {
            Interlocked.Increment(ref _redemptions);
            _reached.TrySetResult();
            await _released.Task;
            return new ResponseMessage
            {
                StatusCode = 200,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData { BodyAsString = rotated, DetectedBodyType = BodyType.String },
            };
        }));
        _idp.Given(redeem).InScenario("rotation").WhenStateIs("rotated")
            .RespondWith(Response.Create().WithStatusCode(400).WithBodyAsJson(new { error = "invalid_grant", error_description = "refresh token reuse" }));
        _api.Given(Request.Create().WithPath("/data").WithHeader("Authorization", "Bearer " + Access2)).AtPriority(1).RespondWith(Response.Create().WithStatusCode(200));
        _api.Given(Request.Create().WithPath("/data")).AtPriority(10).RespondWith(Response.Create().WithStatusCode(401));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EightProcesses_ExpiredTokenInTheKeyring_RefreshExactlyOnce(bool seededInTheTokenFile)
    {
        // What an earlier sign-in left: an expired access token and the refresh token, in the
        // keyring, or in the token file of a version before the credential store (imported by
        // whichever process takes the lock first).
        var key = DeviceAuthConstants.StoreKey(_idp.Url!, "cli", null);
        var now = DateTimeOffset.UtcNow;
        var tokens = new TokenSet(Access1, now.AddMinutes(-1)) { RefreshToken = Refresh1, IssuedAt = now.AddMinutes(-61) };
        ITokenStore seed = seededInTheTokenFile
            ? new FileTokenStore(_keyring.StoreDirectory)
            : new CredentialTokenStore(_keyring.StoreDirectory, false, null, () => new SecretServiceBackend(_keyring.Address));
        await using (var lease = await new FileRefreshLock(_keyring.StoreDirectory).AcquireAsync(key, TestContext.Current.CancellationToken))
        {
            await seed.SetAsync(key, tokens, lease, TestContext.Current.CancellationToken);
        }

        var helpers = Enumerable.Range(0, 8)
            .Select(_ => HelperProcess.StartWithEnvironment(_keyring.Environment, "requests", _keyring.StoreDirectory, _idp.Url!, _api.Url!, "25", "credential"))
            .ToList();
        try
        {
            foreach (var helper in helpers)
            {
                await helper.WaitForLineAsync("ready", Patience);
            }

            await Task.WhenAll(helpers.Select(h => h.SendAsync("go")));

            // While the one redemption is held, every process reaches the lock.
            await _reached.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
            var atTheLock = new List<string>();
            foreach (var helper in helpers)
            {
                atTheLock.Add(await helper.WaitForAnyLineAsync(Patience, "waiting-for-lock", "lock-acquired"));
            }

            if (!seededInTheTokenFile)
            {
                // (An import makes the holder's acquisition asynchronous too, so it would report a wait.)
                Assert.Equal(7, atTheLock.Count(line => line == "waiting-for-lock"));
            }

            Assert.Equal(1, Volatile.Read(ref _redemptions));
            _released.TrySetResult();
            await Task.WhenAll(helpers.Select(h => h.Exited)).WaitAsync(Patience, TestContext.Current.CancellationToken);

            Assert.All(helpers, h => Assert.True(h.ExitCode == 0, h.Output));
            Assert.All(helpers, h => Assert.Contains("ok=25 failed=0", h.Output, StringComparison.Ordinal));
            Assert.Equal(1, _idp.LogEntries.Count(e => e.RequestMessage.Path == "/token"));
            Assert.Equal(0, _idp.LogEntries.Count(e => e.ResponseMessage.StatusCode is 400));
            Assert.Equal(200, _api.LogEntries.Count(e => e.ResponseMessage.StatusCode is 200));

            // The rotated tokens are in the keyring; an imported token file keeps only a moved
            // record (no secret), and none is written otherwise.
            Assert.Contains(Refresh2, await _keyring.LookupAsync(StoredItem.Attributes(_keyring.StoreDirectory, key)), StringComparison.Ordinal);
            var file = StoredItem.FilePath(_keyring.StoreDirectory, key);
            Assert.Equal(seededInTheTokenFile, File.Exists(file));
            if (seededInTheTokenFile)
            {
                var moved = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
                Assert.DoesNotContain("SECRET", moved, StringComparison.Ordinal);
                Assert.Contains("\"moved_to\": \"credential_store\"", moved, StringComparison.Ordinal);
            }
            Assert.All(helpers, h => Assert.DoesNotContain("SECRET", h.Output, StringComparison.Ordinal));
        }
        finally
        {
            _released.TrySetResult();
            foreach (var helper in helpers)
            {
                await helper.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        _idp.Stop();
        _api.Stop();
        _idp.Dispose();
        _api.Dispose();
        await _keyring.DisposeAsync();
    }
}
