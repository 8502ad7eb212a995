using AuthHandler.Diagnostics.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// The decisions of <see cref="SignInFlow"/>, with the server calls replaced by delegates the test
/// controls and the store and lock replaced by recording fakes: what a finished or failed device
/// flow means for the waiting requests, what a store failure after a sign-in on demand costs, and
/// which <see cref="RevocationResult"/> each answer of the server is.
/// </summary>
public sealed class SignInFlowTests : IDisposable
{
    private const string Client = "api";
    private const string StoreKey = "key";
    private static readonly DateTimeOffset ExpiresAt = new(2026, 1, 1, 13, 0, 0, TimeSpan.Zero);
    private static readonly Uri RevocationEndpoint = new("https://id.example.com/revoke");

    private readonly TestMeterFactory _meters = new();
    private readonly FakeLogger _logger = new();
    private readonly RecordingStore _store = new();
    private readonly FakeRefreshLock _lock = new();
    private readonly List<(Uri Endpoint, string RefreshToken)> _revocations = [];
    private Func<TokenSet> _deviceFlow = () => new TokenSet("at-signed-in", ExpiresAt) { RefreshToken = "rt-signed-in" };
    private Func<Uri?> _revocationEndpoint = () => RevocationEndpoint;
    private Func<bool> _revocationAnswer = () => true;
    private int _revocationEndpointLookups;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task RunDeviceFlowAsync_Approved_ReturnsTheFlowsTokensAndCountsOneSignedInSignIn()
    {
        var issued = new TokenSet("at-1", ExpiresAt);
        _deviceFlow = () => issued;
        using var signIns = SignIns();

        var tokens = await Flow().RunDeviceFlowAsync(NoDisplay, Cancel);

        Assert.Same(issued, tokens);
        var measurement = Assert.Single(signIns.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("signed_in", measurement.Tags[DeviceAuthMetrics.OutcomeTag]);
        Assert.Equal(Client, measurement.Tags[DeviceAuthMetrics.ClientTag]);
    }

    [Fact]
    public async Task RunDeviceFlowAsync_Declined_RethrowsTheFlowsExceptionAndCountsItsFailureAsTheOutcome()
    {
        var declined = new DeviceAuthorizationException(DeviceAuthorizationFailure.AccessDenied, "The user declined.", "access_denied");
        _deviceFlow = () => throw declined;
        using var signIns = SignIns();

        var thrown = await Assert.ThrowsAsync<DeviceAuthorizationException>(() => Flow().RunDeviceFlowAsync(NoDisplay, Cancel));

        Assert.Same(declined, thrown);
        var measurement = Assert.Single(signIns.GetMeasurementSnapshot());
        Assert.Equal("access_denied", measurement.Tags[DeviceAuthMetrics.OutcomeTag]);
        var log = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.Contains("AccessDenied", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInOnDemandAsync_DeviceFlowFails_SignsOutWithSignInFailedAndTheServersErrorAndWritesNothing()
    {
        _deviceFlow = () => throw new DeviceAuthorizationException(DeviceAuthorizationFailure.Expired, "The code expired.", "expired_token");

        var outcome = await Flow().SignInOnDemandAsync(NoDisplay, Cancel);

        Assert.Equal(SignInRequiredReason.SignInFailed, outcome.SignedOutReason);
        Assert.Equal("expired_token", outcome.Error);
        Assert.Null(outcome.Snapshot);
        Assert.Null(outcome.Failure);
        Assert.Empty(_store.Writes);
        Assert.Equal(0, _lock.Acquired);
    }

    [Fact]
    public async Task SignInOnDemandAsync_Approved_WritesTheTokensUnderTheHeldLeaseThenReleasesItAndReturnsTheirSnapshot()
    {
        var outcome = await Flow().SignInOnDemandAsync(NoDisplay, Cancel);

        var write = Assert.Single(_store.Writes);
        Assert.Equal(StoreKey, write.Key);
        Assert.Equal("at-signed-in", write.Tokens.AccessToken);
        Assert.Equal("rt-signed-in", write.Tokens.RefreshToken);
        Assert.Same(Assert.Single(_lock.Leases), write.Lease);
        Assert.False(write.LeaseReleasedAtWrite);
        Assert.True(_lock.Leases[0].Released);
        Assert.Null(outcome.Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Same(write.Tokens, outcome.Snapshot!.Tokens);
        Assert.Equal("Bearer at-signed-in", outcome.Snapshot.HeaderValue);
    }

    [Fact]
    public async Task SignInOnDemandAsync_StoreWriteFails_StillReturnsTheTokensAndLogsTheFailureWithoutThem()
    {
        _store.FailWith = new TokenStoreException("The store folder is read-only.", isTransient: false);

        var outcome = await Flow().SignInOnDemandAsync(NoDisplay, Cancel);

        Assert.Null(outcome.Failure);
        Assert.Equal("at-signed-in", outcome.Snapshot!.Tokens.AccessToken);
        Assert.True(_lock.Leases[0].Released);
        var failure = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Same(_store.FailWith, failure.Exception);
        Assert.All(_logger.Collector.GetSnapshot(), r => Assert.DoesNotContain("-signed-in", r.Message + r.Exception, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignInOnDemandAsync_CancelledDuringTheStoreWrite_ThrowsInsteadOfReportingTheTokensKept()
    {
        _store.FailWith = new OperationCanceledException();

        await Assert.ThrowsAsync<OperationCanceledException>(() => Flow().SignInOnDemandAsync(NoDisplay, Cancel));

        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.True(_lock.Leases[0].Released);
    }

    [Fact]
    public async Task RevokeAsync_NoRefreshToken_IsNothingToRevokeWithoutAskingTheServer()
    {
        var result = await Flow().RevokeAsync(refreshToken: null, Cancel);

        Assert.Equal(RevocationResult.NothingToRevoke, result);
        Assert.Equal(0, _revocationEndpointLookups);
        Assert.Empty(_revocations);
    }

    [Fact]
    public async Task RevokeAsync_ServerHasNoRevocationEndpoint_IsNotSupportedWithoutARevocationCall()
    {
        _revocationEndpoint = () => null;

        var result = await Flow().RevokeAsync("rt", Cancel);

        Assert.Equal(RevocationResult.NotSupported, result);
        Assert.Equal(1, _revocationEndpointLookups);
        Assert.Empty(_revocations);
    }

    [Fact]
    public async Task RevokeAsync_ServerAccepts_IsRevokedAfterSendingThatRefreshTokenToItsEndpoint()
    {
        var result = await Flow().RevokeAsync("rt-1", Cancel);

        Assert.Equal(RevocationResult.Revoked, result);
        Assert.Equal((RevocationEndpoint, "rt-1"), Assert.Single(_revocations));
    }

    [Fact]
    public async Task RevokeAsync_ServerRefuses_IsFailedAndLogged()
    {
        _revocationAnswer = () => false;

        var result = await Flow().RevokeAsync("rt-1", Cancel);

        Assert.Equal(RevocationResult.Failed, result);
        Assert.Single(_revocations);
        Assert.Single(_logger.Collector.GetSnapshot());
    }

    [Theory]
    [InlineData("token endpoint")]
    [InlineData("discovery")]
    public async Task RevokeAsync_ServerUnreachable_IsFailedNotThrown(string failing)
    {
        Exception failure = failing == "discovery"
            ? new DiscoveryException("The discovery document cannot be read.", isTransient: true)
            : new TokenEndpointException(TokenEndpointFailure.Transient, "The token endpoint did not answer.");
        if (failing == "discovery")
        {
            _revocationEndpoint = () => throw failure;
        }
        else
        {
            _revocationAnswer = () => throw failure;
        }

        var result = await Flow().RevokeAsync("rt-1", Cancel);

        Assert.Equal(RevocationResult.Failed, result);
        Assert.Same(failure, Assert.Single(_logger.Collector.GetSnapshot()).Exception);
    }

    [Fact]
    public async Task RevokeAsync_Cancelled_Throws()
    {
        _revocationAnswer = () => throw new OperationCanceledException();

        await Assert.ThrowsAsync<OperationCanceledException>(() => Flow().RevokeAsync("rt-1", Cancel));
    }

    private static ValueTask NoDisplay(OnDeviceCodeArguments arguments) => ValueTask.CompletedTask;

    private MetricCollector<long> SignIns() => new(_meters, DeviceAuthDiagnostics.MeterName, "authhandler.signin.count");

    private SignInFlow Flow() => new(
        Client,
        StoreKey,
        _store,
        _lock,
        new RefreshSchedule(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), schemeOverride: null),
        (onDeviceCode, _) => Task.FromResult(_deviceFlow()),
        _ =>
        {
            _revocationEndpointLookups++;
            return ValueTask.FromResult(_revocationEndpoint());
        },
        (endpoint, refreshToken, _) =>
        {
            _revocations.Add((endpoint, refreshToken));
            return Task.FromResult(_revocationAnswer());
        },
        _logger,
        new DeviceAuthMetrics(_meters));

    /// <summary>Records each write with the lease it came with, and whether that lease was still held.</summary>
    private sealed class RecordingStore : ITokenStore
    {
        public List<(string Key, TokenSet Tokens, IRefreshLease Lease, bool LeaseReleasedAtWrite)> Writes { get; } = [];

        public Exception? FailWith { get; set; }

        public ValueTask<TokenSet?> GetAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException("The sign-in flow does not read the store.");

        public ValueTask SetAsync(string key, TokenSet tokens, IRefreshLease lease, CancellationToken cancellationToken)
        {
            if (FailWith is { } failure)
            {
                throw failure;
            }

            Writes.Add((key, tokens, lease, ((FakeRefreshLock.Lease)lease).Released));
            return ValueTask.CompletedTask;
        }

        public ValueTask RemoveAsync(string key, IRefreshLease lease, CancellationToken cancellationToken) => throw new NotSupportedException("The sign-in flow does not delete.");
    }
}
