using System.Net;
using System.Text.Json;
using AuthHandler.Storage.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AuthHandler.Tests.CredentialStore;

/// <summary>
/// Two processes of one user in two modes at once, on one refresh lock: a desktop process on the
/// credential store (a real Secret Service) and an SSH process on the token file (no session bus:
/// <c>UsePlatformTokenStore()</c> fell back, or a version on the plain file store). The server
/// rotates the refresh token and rejects any reuse (RFC 9700 §4.14).
/// </summary>
public sealed class CredentialStoreFallbackTests : IAsyncDisposable
{
    private const string ClientName = ClientProcess.ClientName;
    private const string Secret = "SECRET";
    private const int TokensMovedEvent = 53;
    private const int StoreEntryRestoredEvent = 33;
    private readonly WireMockServer _idp = WireMockServer.Start();
    private readonly WireMockServer _api = WireMockServer.Start();
    private readonly List<ServiceProvider> _providers = [];

    public CredentialStoreFallbackTests()
    {
        // Each refresh token is good once; anything else is a reuse.
        Rotate("rt-1-" + Secret, "at-2-" + Secret, "rt-2-" + Secret);
        Rotate("rt-2-" + Secret, "at-3-" + Secret, "rt-3-" + Secret);
        Rotate("rt-5-" + Secret, "at-6-" + Secret, "rt-6-" + Secret);
        _idp.Given(Request.Create().WithPath("/token").UsingPost()).AtPriority(10)
            .RespondWith(Response.Create().WithStatusCode(400).WithBodyAsJson(new { error = "invalid_grant", error_description = "refresh token reuse" }));

        // Each desktop call takes only the access token of the next refresh, so it forces one. The SSH
        // process's call is refused, so it looks at the store under the lock.
        Accept("/desktop-1", "at-2-" + Secret);
        Accept("/desktop-2", "at-3-" + Secret);
        Accept("/desktop-3", "at-6-" + Secret);
        _api.Given(Request.Create().WithPath("/*")).AtPriority(10).RespondWith(Response.Create().WithStatusCode(401));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FileSession_TokensImportedByTheCredentialStoreProcess_WritesNothingBackAndTheNextRefreshPresentsTheRotatedToken(bool platformFallback)
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var (desktop, desktopClient, _) = Start(keyring, keyring.Address, builder => builder.UseCredentialTokenStore());
        var (ssh, sshClient, sshLogs) = platformFallback
            ? Start(keyring, address: string.Empty, builder => builder.UsePlatformTokenStore())
            : Start(keyring, address: string.Empty, _ => { });
        var filePath = StoredItem.FilePath(keyring.StoreDirectory, ssh.StoreKey);
        var cancellation = TestContext.Current.CancellationToken;

        // The SSH process signs in: the tokens are in the file and in its memory.
        await ssh.SetTokensAsync(new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret }, cancellation);

        // The desktop process refreshes: it imports the file, redeems rt-1 and keeps rt-2 in the keyring.
        using var first = await desktopClient.GetAsync(new Uri("/desktop-1", UriKind.Relative), cancellation);
        var afterImport = await ReadIfThereAsync(filePath);

        // The SSH process, holding rt-1 (spent), looks at the store under the lock.
        using var refused = await sshClient.GetAsync(new Uri("/ssh", UriKind.Relative), cancellation);
        var afterSsh = await ReadIfThereAsync(filePath);

        // The desktop process refreshes again: it must present rt-2.
        using var second = await desktopClient.GetAsync(new Uri("/desktop-2", UriKind.Relative), cancellation);

        var presented = _idp.LogEntries.Where(e => e.RequestMessage.Path == "/token").Select(e => e.RequestMessage.Body ?? string.Empty).ToList();
        Assert.Equal(2, presented.Count);
        Assert.Contains("refresh_token=rt-1-" + Secret, presented[0], StringComparison.Ordinal);
        Assert.Contains("refresh_token=rt-2-" + Secret, presented[1], StringComparison.Ordinal);
        Assert.Equal(0, _idp.LogEntries.Count(e => e.ResponseMessage.StatusCode is 400));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Null(desktop.SignedOutReason);
        Assert.Contains("rt-3-" + Secret, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory, ssh.StoreKey)), StringComparison.Ordinal);

        // The file says where the tokens went, holds no secret, and the SSH process wrote nothing back.
        StoredItem.AssertMovedRecord(afterImport);
        Assert.Equal(afterImport, afterSsh);
        Assert.Equal(afterImport, await ReadIfThereAsync(filePath));

        // The SSH process needs a sign-in, and says why.
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(SessionState.SignInRequired, ssh.State);
        Assert.Equal(SignInRequiredReason.NoTokens, ssh.SignedOutReason);
        var line = Assert.Single(sshLogs.GetSnapshot(), r => r.Id.Id == TokensMovedEvent);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("credential store", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(sshLogs.GetSnapshot(), r => r.Id.Id == StoreEntryRestoredEvent);
        Assert.DoesNotContain(sshLogs.GetSnapshot(), r => (r.Message + r.Exception).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FileSession_SignsInAgainAfterTheMove_ItsNewFileIsNewerAndIsImportedAndRedeemedByTheCredentialStoreProcess()
    {
        await using var keyring = await PrivateSecretService.StartAsync();
        var (_, desktopClient, desktopLogs) = Start(keyring, keyring.Address, builder => builder.UseCredentialTokenStore());
        var (ssh, sshClient, _) = Start(keyring, address: string.Empty, builder => builder.UsePlatformTokenStore());
        var filePath = StoredItem.FilePath(keyring.StoreDirectory, ssh.StoreKey);
        var cancellation = TestContext.Current.CancellationToken;
        await ssh.SetTokensAsync(new TokenSet("at-1-" + Secret, DateTimeOffset.UtcNow.AddHours(1)) { RefreshToken = "rt-1-" + Secret }, cancellation);
        using (await desktopClient.GetAsync(new Uri("/desktop-1", UriKind.Relative), cancellation))
        using (await sshClient.GetAsync(new Uri("/ssh", UriKind.Relative), cancellation))
        {
            StoredItem.AssertMovedRecord(await File.ReadAllTextAsync(filePath, cancellation));
            Assert.Equal(SignInRequiredReason.NoTokens, ssh.SignedOutReason);
        }

        // Signed in again over SSH (its access token already expired): a token file written over
        // the moved record is the newest record.
        await ssh.SetTokensAsync(new TokenSet("at-5-" + Secret, DateTimeOffset.UtcNow.AddMinutes(-1)) { RefreshToken = "rt-5-" + Secret }, cancellation);
        Assert.Contains("rt-5-" + Secret, await File.ReadAllTextAsync(filePath, cancellation), StringComparison.Ordinal);

        using var response = await desktopClient.GetAsync(new Uri("/desktop-3", UriKind.Relative), cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var presented = _idp.LogEntries.Where(e => e.RequestMessage.Path == "/token").Select(e => e.RequestMessage.Body ?? string.Empty).ToList();
        Assert.Equal(2, presented.Count);
        Assert.Contains("refresh_token=rt-1-" + Secret, presented[0], StringComparison.Ordinal);
        Assert.Contains("refresh_token=rt-5-" + Secret, presented[1], StringComparison.Ordinal);
        Assert.Contains("rt-6-" + Secret, await keyring.LookupAsync(StoredItem.Attributes(keyring.StoreDirectory, ssh.StoreKey)), StringComparison.Ordinal);
        StoredItem.AssertMovedRecord(await File.ReadAllTextAsync(filePath, cancellation));
        Assert.Equal(2, desktopLogs.GetSnapshot().Count(r => r.Id.Id == 1102));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _idp.Stop();
        _api.Stop();
        _idp.Dispose();
        _api.Dispose();
    }

    private static async Task<string?> ReadIfThereAsync(string path) =>
        File.Exists(path) ? await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken) : null;

    private void Rotate(string refreshToken, string accessToken, string rotated) =>
        _idp.Given(Request.Create().WithPath("/token").UsingPost().WithBody(new WildcardMatcher("*refresh_token=" + refreshToken + "*")))
            .InScenario(refreshToken).WillSetStateTo("spent")
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { access_token = accessToken, token_type = "Bearer", expires_in = 3600, refresh_token = rotated }));

    private void Accept(string path, string accessToken) =>
        _api.Given(Request.Create().WithPath(path).WithHeader("Authorization", "Bearer " + accessToken)).AtPriority(1).RespondWith(Response.Create().WithStatusCode(200));

    /// <summary>One process: its own container, the same user's storage directory (and so the same refresh lock).</summary>
    private (DeviceAuthSession Session, HttpClient Client, FakeLogCollector Logs) Start(PrivateSecretService keyring, string address, Action<IDeviceAuthBuilder> store)
    {
        var provider = ClientProcess.Build(_idp.Url!, _api.Url!, keyring.StoreDirectory, address, store);
        _providers.Add(provider);
        return (
            provider.GetRequiredKeyedService<DeviceAuthSession>(ClientName),
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName),
            provider.GetFakeLogCollector());
    }
}
