using System.Net;
using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>What <see cref="TokenRefresher.RefreshAsync"/> decides: adopt, sign out, fail keeping the tokens, or mark and redeem.</summary>
public sealed class TokenRefresherTests
{
    private readonly RefreshFixture _fixture = new();

    /// <summary>A failure that keeps the tokens: not signed out, the stored tokens served and left in the store without a marker.</summary>
    private void AssertSignedInTokensKeptUnmarked(RefreshOutcome outcome)
    {
        Assert.Null(outcome.SignedOutReason);
        Assert.Equal("access-1", outcome.Snapshot?.Tokens.AccessToken);
        Assert.Equal("refresh-1", _fixture.Stored?.RefreshToken);
        Assert.Null(_fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RefreshAsync_StoreHoldsNewerFreshTokens_AdoptsThemWithoutTakingTheLock()
    {
        var held = _fixture.Schedule.CreateSnapshot(RefreshFixture.Tokens());
        _fixture.Seed(RefreshFixture.Tokens("access-2", "refresh-2"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal("access-2", outcome.Snapshot?.Tokens.AccessToken);
        Assert.False(outcome.Refreshed);
        Assert.Equal(0, _fixture.Lock.Acquired);
        Assert.Empty(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_FreshTokensStoredWhileWaitingForTheLock_AdoptsThemWithoutRedeeming()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Lock.OnAcquired = _ => _fixture.Seed(RefreshFixture.Tokens("access-2", "refresh-2"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(1, _fixture.Lock.Acquired);
        Assert.Equal("access-2", outcome.Snapshot?.Tokens.AccessToken);
        Assert.False(outcome.Refreshed);
        Assert.Null(outcome.Failure);
        Assert.Empty(_fixture.Endpoint.Presented);
        Assert.Empty(_fixture.Store.Writes);
    }

    [Fact]
    public async Task RefreshAsync_StoredTokensWithoutRefreshToken_SignsOutWithNoRefreshTokenAndRecordsTheSignOut()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens(refreshToken: null));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.NoRefreshToken, outcome.SignedOutReason);
        Assert.True(_fixture.Store.Entry(RefreshFixture.Key).SignedOut);
        Assert.Empty(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_RefreshTokenExpired_SignsOutWithRefreshTokenExpiredWithoutPresentingIt()
    {
        var held = _fixture.SignedIn(new TokenSet("access-1", RefreshFixture.Now.AddHours(1))
        {
            RefreshToken = "refresh-1",
            RefreshTokenExpiresAt = RefreshFixture.Now,
        });

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.RefreshTokenExpired, outcome.SignedOutReason);
        Assert.Empty(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_SignOutRecorded_SignsOutWithNoTokensWithoutPresenting()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        await _fixture.Store.Inner.RemoveAsync(RefreshFixture.Key, new FakeRefreshLock.Lease(RefreshFixture.Key, null), CancellationToken.None);

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.NoTokens, outcome.SignedOutReason);
        Assert.Empty(_fixture.Endpoint.Presented);
        Assert.Empty(_fixture.Store.Writes);
    }

    [Fact]
    public async Task RefreshAsync_StoreLostItsData_WritesTheHeldTokensBackAndRedeemsThem()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Store.Inner.Clear();
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Null(outcome.SignedOutReason);
        Assert.Equal("access-1", _fixture.Store.Writes[0].Tokens?.AccessToken);
        Assert.Equal(["refresh-1"], _fixture.Endpoint.Presented.Select(p => p.RefreshToken));
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_StoreEntryUnreadable_SignsOutWithTokenStoreUnreadableWithoutPresenting()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        var corrupt = new TokenStoreException("The stored tokens cannot be read (test).", isTransient: false);
        _fixture.Store.FailReads = corrupt;

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.TokenStoreUnreadable, outcome.SignedOutReason);
        Assert.Same(corrupt, outcome.StoreFailure);
        Assert.Empty(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_StoreUnreachable_FailsWithTheStoreFailureWithoutPresenting()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        var unreachable = new TokenStoreException("The store cannot be reached (test).", isTransient: true);
        _fixture.Store.FailReads = unreachable;

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Same(unreachable, outcome.Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Empty(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_LockTimeout_FailsWithTheTimeoutNotATokenEndpointFailure()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        var timeout = new TimeoutException("Another process has held the refresh lock for more than 60 s (test).");
        _fixture.Lock.Failure = timeout;

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Same(timeout, outcome.Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Empty(_fixture.Endpoint.Presented);
        Assert.Equal("refresh-1", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_BeforePresenting_StoresTheTokensWithAMarkerUnderTheLock()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        string? markerWhilePresented = null;
        _fixture.Endpoint.OnPresented = _ => markerWhilePresented = _fixture.Stored?.Redeeming;
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        await _fixture.RefreshAsync(held);

        var marking = _fixture.Store.Writes[0];
        Assert.Equal("refresh-1", marking.Tokens?.RefreshToken);
        Assert.NotNull(marking.Tokens?.Redeeming);
        Assert.True(marking.LeaseHeld);
        Assert.Equal(marking.Tokens?.Redeeming, markerWhilePresented);
    }

    [Fact]
    public async Task RefreshAsync_MarkerCannotBeWritten_PresentsNothingAndKeepsTheTokens()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        var full = new TokenStoreException("The disk is full (test).", isTransient: true);
        _fixture.Store.FailWrite = (_, _) => full;

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Same(full, outcome.Failure);
        Assert.Empty(_fixture.Endpoint.Presented);
        AssertSignedInTokensKeptUnmarked(outcome);
    }

    [Fact]
    public async Task RefreshAsync_Issued_WritesTheNewTokensWithoutMarkerBeforeTheLockIsReleased()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.True(outcome.Refreshed);
        Assert.True(outcome.RefreshTokenRotated);
        Assert.Equal("access-2", outcome.Snapshot?.Tokens.AccessToken);
        var write = Assert.Single(_fixture.Store.Writes, w => w.Tokens?.AccessToken == "access-2");
        Assert.True(write.LeaseHeld);
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
        Assert.Null(_fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RefreshAsync_IssuedWithoutRefreshToken_KeepsTheStoredRefreshTokenAndSaysNotRotated()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", refreshToken: null));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.True(outcome.Refreshed);
        Assert.False(outcome.RefreshTokenRotated);
        Assert.Equal("access-2", _fixture.Stored?.AccessToken);
        Assert.Equal("refresh-1", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_InvalidGrant_RecordsTheSignOutWithRefreshRejected()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Error("invalid_grant"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.RefreshRejected, outcome.SignedOutReason);
        Assert.Equal("invalid_grant", outcome.Error);
        Assert.True(_fixture.Store.Entry(RefreshFixture.Key).SignedOut);
        Assert.Single(_fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_InvalidGrantForTokensCarryingAnotherHoldersMarker_SignsOutWithRefreshAnswerLost()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens().WithRedeeming("earlier-holder"));
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Error("invalid_grant"));

        var outcome = await _fixture.RefreshAsync(held);

        Assert.Equal(SignInRequiredReason.RefreshAnswerLost, outcome.SignedOutReason);
        Assert.Equal(["refresh-1"], _fixture.Endpoint.Presented.Select(p => p.RefreshToken));
        Assert.True(_fixture.Store.Entry(RefreshFixture.Key).SignedOut);
    }

    [Fact]
    public async Task RefreshAsync_AnotherHoldersMarkerUnderAFencedLease_WaitsForItsLateWriteAndAdoptsItWithoutPresenting()
    {
        var fixture = new RefreshFixture(fencingToken: 7);
        var held = fixture.SignedIn(RefreshFixture.Tokens().WithRedeeming("6"));

        var refresh = fixture.RefreshAsync(held);
        await fixture.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(250));
        fixture.Seed(RefreshFixture.Tokens("access-2", "refresh-2"));
        fixture.Time.Advance(TimeSpan.FromMilliseconds(250));
        var outcome = await refresh;

        Assert.Equal("access-2", outcome.Snapshot?.Tokens.AccessToken);
        Assert.False(outcome.Refreshed);
        Assert.Empty(fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_TransientFailure_KeepsTheTokensAndCarriesTheRetryAfter()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Unavailable(TimeSpan.FromSeconds(30)));

        var outcome = await _fixture.RefreshAsync(held);

        var failure = Assert.IsType<TokenEndpointException>(outcome.Failure);
        Assert.Equal(TokenEndpointFailure.Transient, failure.Failure);
        Assert.Equal(TimeSpan.FromSeconds(30), failure.RetryAfter);
        Assert.Single(_fixture.Endpoint.Presented);
        AssertSignedInTokensKeptUnmarked(outcome);
    }

    [Fact]
    public async Task RefreshAsync_InvalidClient_FailsWithClientConfigurationKeepingTheTokens()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Error("invalid_client", HttpStatusCode.Unauthorized));

        var outcome = await _fixture.RefreshAsync(held);

        var failure = Assert.IsType<TokenEndpointException>(outcome.Failure);
        Assert.Equal(TokenEndpointFailure.ClientConfiguration, failure.Failure);
        Assert.Equal("invalid_client", failure.Error);
        Assert.Single(_fixture.Endpoint.Presented);
        AssertSignedInTokensKeptUnmarked(outcome);
    }

    [Fact]
    public async Task RefreshAsync_StoreWriteFailsOnceAfterIssuance_RetriesTheWriteAfter100MsAndServesTheNewTokens()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));
        var failed = false;
        _fixture.Store.FailWrite = (tokens, _) =>
        {
            if (tokens?.AccessToken != "access-2" || failed)
            {
                return null;
            }

            failed = true;
            return new TokenStoreException("The store cannot be written now (test).", isTransient: true);
        };

        var refresh = _fixture.RefreshAsync(held);
        await _fixture.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(100));
        Assert.False(refresh.IsCompleted);
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(100));
        var outcome = await refresh;

        Assert.True(outcome.Refreshed);
        Assert.Equal("access-2", outcome.Snapshot?.Tokens.AccessToken);
        var writes = _fixture.Store.Writes.Where(w => w.Tokens?.AccessToken == "access-2").ToList();
        Assert.Equal(2, writes.Count);
        Assert.All(writes, w => Assert.True(w.LeaseHeld));
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_WriteSupersededAfterIssuance_ServesTheNewTokensAndWritesThemUnderTheNextLockBeforePresenting()
    {
        // Due (inside the skew), so that the second refresh does not adopt them before its lock.
        var held = _fixture.SignedIn(new TokenSet("access-1", RefreshFixture.Now.AddSeconds(10)) { RefreshToken = "refresh-1", IssuedAt = RefreshFixture.Now.AddHours(-1) });
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Issued("access-2", "refresh-2"), ScriptedTokenEndpoint.Issued("access-3", "refresh-3"));
        _fixture.Store.FailWrite = (tokens, _) => tokens?.AccessToken == "access-2" && _fixture.Lock.Acquired == 1
            ? new TokenStoreException("Another holder has the lock (test).", isTransient: true) { Superseded = true }
            : null;

        var first = await _fixture.RefreshAsync(held);
        var markedMeanwhile = _fixture.Stored;
        await _fixture.RefreshAsync(first.Snapshot);

        Assert.Equal("access-2", first.Snapshot?.Tokens.AccessToken);
        Assert.True(first.Refreshed);
        Assert.Equal("refresh-1", markedMeanwhile?.RefreshToken);
        Assert.NotNull(markedMeanwhile?.Redeeming);
        Assert.Equal(["refresh-1", "refresh-2"], _fixture.Endpoint.Presented.Select(p => p.RefreshToken));
        Assert.Equal("refresh-3", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_NewRefreshTokenOfAnUnusableAnswerNotWritten_IsWrittenUnderTheNextLockAndPresentedInsteadOfTheSpentOne()
    {
        var held = _fixture.SignedIn(RefreshFixture.Tokens());
        var unusable = ScriptedTokenEndpoint.Unusable("refresh-2");
        _fixture.Endpoint.Answer(unusable, ScriptedTokenEndpoint.Issued("access-3", "refresh-3"));
        _fixture.Store.FailWrite = (tokens, _) => tokens?.RefreshToken == "refresh-2" && _fixture.Lock.Acquired == 1
            ? new TokenStoreException("Another holder has the lock (test).", isTransient: true) { Superseded = true }
            : null;

        var first = await _fixture.RefreshAsync(held);
        await _fixture.RefreshAsync(first.Snapshot);

        Assert.Same(unusable.Failure, first.Failure);
        Assert.Equal(["refresh-1", "refresh-2"], _fixture.Endpoint.Presented.Select(p => p.RefreshToken));
        Assert.Equal("refresh-3", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RefreshAsync_FileLockCannotBeCreatedAndNothingStored_SignsOutWithNoTokens()
    {
        using var unwritable = new UnwritableDirectory();
        var fixture = new RefreshFixture(refreshLock: new FileRefreshLock(unwritable.Path));

        var outcome = await fixture.RefreshAsync(replacing: null);

        Assert.Equal(SignInRequiredReason.NoTokens, outcome.SignedOutReason);
        Assert.Empty(fixture.Endpoint.Presented);
    }

    [Fact]
    public async Task RefreshAsync_FileLockCannotBeCreatedForTokensThatNeedARefresh_FailsWithTheLockFailureKeepingTheTokensWithoutPresenting()
    {
        using var unwritable = new UnwritableDirectory();
        var fixture = new RefreshFixture(refreshLock: new FileRefreshLock(unwritable.Path));
        var held = fixture.SignedIn(RefreshFixture.Tokens());

        var outcome = await fixture.RefreshAsync(held);

        Assert.IsType<TokenStoreException>(outcome.Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Equal("access-1", outcome.Snapshot?.Tokens.AccessToken);
        Assert.Empty(fixture.Endpoint.Presented);
        Assert.Empty(fixture.Store.Writes);
    }

    /// <summary>A lock directory that cannot be created: its parent is a regular file (deleted on dispose).</summary>
    private sealed class UnwritableDirectory : IDisposable
    {
        private readonly string _file = System.IO.Path.GetTempFileName();

        public string Path => System.IO.Path.Combine(_file, "locks");

        public void Dispose() => File.Delete(_file);
    }
}
