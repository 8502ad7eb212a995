using System.Net;
using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// What <see cref="TokenRedeemer.RedeemAsync"/> makes of the token endpoint's answers, called as
/// <see cref="TokenRefresher"/> calls it: under the lock, the stored tokens already marked.
/// </summary>
public sealed class TokenRedeemerTests
{
    private const string Marker = "this-holder";

    private readonly RefreshFixture _fixture = new();
    private readonly TokenSet _stored = RefreshFixture.Tokens();
    private readonly FakeRefreshLock.Lease _lease = new(RefreshFixture.Key, null);

    public TokenRedeemerTests() => _fixture.Seed(_stored.WithRedeeming(Marker));

    private Task<RefreshOutcome> RedeemAsync(bool earlierUnanswered = false) =>
        _fixture.Redeemer.RedeemAsync(_stored, proof: null, Marker, earlierUnanswered, _lease, CancellationToken.None);

    [Fact]
    public async Task RedeemAsync_AnswerLost_PresentsTheSameRefreshTokenOnceMoreOnlyAfterExactlyTheRetryDelay()
    {
        var delay = TokenRedeemer.LostAnswerRetryDelay;
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Lost(), ScriptedTokenEndpoint.Issued("access-2", "refresh-2"));

        var redeem = RedeemAsync();
        await _fixture.Time.WaitForTimerAsync(delay);
        Assert.Single(_fixture.Endpoint.Presented);
        _fixture.Time.Advance(delay - TimeSpan.FromTicks(1));
        Assert.Single(_fixture.Endpoint.Presented);
        Assert.False(redeem.IsCompleted);
        _fixture.Time.Advance(TimeSpan.FromTicks(1));
        var outcome = await redeem;

        Assert.Equal(["refresh-1", "refresh-1"], _fixture.Endpoint.Presented.Select(p => p.RefreshToken));
        Assert.Equal([RefreshFixture.Now, RefreshFixture.Now + delay], _fixture.Endpoint.Presented.Select(p => p.At));
        Assert.Equal([delay], _fixture.Time.StartedTimers);
        Assert.True(outcome.Refreshed);
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RedeemAsync_AnswerLostTwice_PresentsOnlyTwiceFailsTransientAndLeavesTheMarker()
    {
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Lost(), ScriptedTokenEndpoint.Lost());

        var redeem = RedeemAsync();
        await _fixture.Time.WaitForTimerAsync(TokenRedeemer.LostAnswerRetryDelay);
        _fixture.Time.Advance(TokenRedeemer.LostAnswerRetryDelay);
        var outcome = await redeem;

        Assert.Equal(2, _fixture.Endpoint.Presented.Count);
        Assert.Single(_fixture.Time.StartedTimers);
        var failure = Assert.IsType<TokenEndpointException>(outcome.Failure);
        Assert.Equal(TokenEndpointFailure.Transient, failure.Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Equal(Marker, _fixture.Stored?.Redeeming);
        Assert.Equal("refresh-1", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RedeemAsync_AnswerLostThenInvalidGrant_SignsOutWithRefreshAnswerLost()
    {
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Lost(), ScriptedTokenEndpoint.Error("invalid_grant"));

        var redeem = RedeemAsync();
        await _fixture.Time.WaitForTimerAsync(TokenRedeemer.LostAnswerRetryDelay);
        _fixture.Time.Advance(TokenRedeemer.LostAnswerRetryDelay);
        var outcome = await redeem;

        Assert.Equal(SignInRequiredReason.RefreshAnswerLost, outcome.SignedOutReason);
        Assert.Equal("invalid_grant", outcome.Error);
        Assert.Equal(2, _fixture.Endpoint.Presented.Count);
        Assert.True(_fixture.Store.Entry(RefreshFixture.Key).SignedOut);
    }

    [Fact]
    public async Task RedeemAsync_AnswerLostThenInvalidClient_FailsWithClientConfigurationAndLeavesTheMarker()
    {
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Lost(), ScriptedTokenEndpoint.Error("invalid_client", HttpStatusCode.Unauthorized));

        var redeem = RedeemAsync();
        await _fixture.Time.WaitForTimerAsync(TokenRedeemer.LostAnswerRetryDelay);
        _fixture.Time.Advance(TokenRedeemer.LostAnswerRetryDelay);
        var outcome = await redeem;

        Assert.Equal(TokenEndpointFailure.ClientConfiguration, Assert.IsType<TokenEndpointException>(outcome.Failure).Failure);
        Assert.Null(outcome.SignedOutReason);
        Assert.Equal(Marker, _fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RedeemAsync_AnswerThatSaysNotProcessed_PresentsOnceWithoutWaitingAndRemovesTheMarker()
    {
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Unavailable(TimeSpan.FromSeconds(30)));

        var outcome = await RedeemAsync();

        Assert.Single(_fixture.Endpoint.Presented);
        Assert.Empty(_fixture.Time.StartedTimers);
        Assert.Equal(TimeSpan.FromSeconds(30), Assert.IsType<TokenEndpointException>(outcome.Failure).RetryAfter);
        Assert.Equal("refresh-1", _fixture.Stored?.RefreshToken);
        Assert.Null(_fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RedeemAsync_TransientAnswerForTokensAnEarlierHolderMarked_LeavesTheMarker()
    {
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Unavailable(TimeSpan.FromSeconds(30)));

        await RedeemAsync(earlierUnanswered: true);

        Assert.Single(_fixture.Endpoint.Presented);
        Assert.Equal(Marker, _fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RedeemAsync_InvalidGrantWhileTheStoreGotANewerRefreshToken_AdoptsTheNewerTokensWithoutSigningOut()
    {
        // A process that shares the store but not this lock refreshed while the request was out.
        _fixture.Endpoint.OnPresented = _ => _fixture.Seed(RefreshFixture.Tokens("access-9", "refresh-9"));
        _fixture.Endpoint.Answer(ScriptedTokenEndpoint.Error("invalid_grant"));

        var outcome = await RedeemAsync();

        Assert.Null(outcome.SignedOutReason);
        Assert.Equal("access-9", outcome.Snapshot?.Tokens.AccessToken);
        Assert.False(_fixture.Store.Entry(RefreshFixture.Key).SignedOut);
        Assert.Equal("refresh-9", _fixture.Stored?.RefreshToken);
    }

    [Fact]
    public async Task RedeemAsync_UnusableAnswerCarryingANewRefreshToken_StoresItBesideTheCurrentAccessTokenWithoutMarker()
    {
        var unusable = ScriptedTokenEndpoint.Unusable("refresh-2");
        _fixture.Endpoint.Answer(unusable);

        var outcome = await RedeemAsync();

        Assert.Same(unusable.Failure, outcome.Failure);
        Assert.Single(_fixture.Endpoint.Presented);
        Assert.Equal("access-1", _fixture.Stored?.AccessToken);
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
        Assert.Null(_fixture.Stored?.Redeeming);
    }

    [Fact]
    public async Task RedeemAsync_UnusableAnswerCarryingANewRefreshTokenWhoseWriteFailsOnce_RetriesTheWriteUnderTheLock()
    {
        var unusable = ScriptedTokenEndpoint.Unusable("refresh-2");
        _fixture.Endpoint.Answer(unusable);
        _fixture.Store.FailWrite = (tokens, number) => tokens?.RefreshToken == "refresh-2" && number == 1
            ? new TokenStoreException("The store cannot be written now (test).", isTransient: true)
            : null;

        var redeem = RedeemAsync();
        await Task.WhenAny(redeem, _fixture.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(100)));
        _fixture.Time.Advance(TimeSpan.FromMilliseconds(100));
        await redeem;

        Assert.Equal(2, _fixture.Store.Writes.Count(w => w.Tokens?.RefreshToken == "refresh-2"));
        Assert.Equal("refresh-2", _fixture.Stored?.RefreshToken);
        Assert.Null(_fixture.Stored?.Redeeming);
    }

    [Theory]
    [InlineData(true, TokenEndpointFailure.Transient)]
    [InlineData(false, TokenEndpointFailure.ClientConfiguration)]
    public async Task RedeemAsync_TokenEndpointCannotBeFound_FailsWithoutPresentingAndRemovesTheMarker(bool transient, TokenEndpointFailure expected)
    {
        _fixture.Endpoint.DiscoveryFailure = new DiscoveryException("The discovery document cannot be read (test).", transient);

        var outcome = await RedeemAsync();

        Assert.Equal(expected, Assert.IsType<TokenEndpointException>(outcome.Failure).Failure);
        Assert.Empty(_fixture.Endpoint.Presented);
        Assert.Null(_fixture.Stored?.Redeeming);
    }
}
