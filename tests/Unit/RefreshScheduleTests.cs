using AuthHandler.Sessions.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class RefreshScheduleTests
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RefreshSchedule Defaults = new(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), schemeOverride: null);

    private static TokenSet Tokens(TimeSpan lifetime, string? refreshToken = "r", DateTimeOffset? issuedAt = null) =>
        new("a", IssuedAt + lifetime) { RefreshToken = refreshToken, IssuedAt = issuedAt ?? IssuedAt };

    [Fact]
    public void CreateSnapshot_HourLongToken_RefreshesFiveMinutesAndMustThirtySecondsBeforeExpiry()
    {
        var snapshot = Defaults.CreateSnapshot(Tokens(TimeSpan.FromHours(1)));

        Assert.Equal(IssuedAt.AddMinutes(55), snapshot.RefreshAt);
        Assert.Equal(IssuedAt.AddMinutes(60).AddSeconds(-30), snapshot.MustRefreshAt);
    }

    [Fact]
    public void CreateSnapshot_FourSecondToken_WindowIsHalfAndSkewAQuarterOfTheLifetime()
    {
        var snapshot = Defaults.CreateSnapshot(Tokens(TimeSpan.FromSeconds(4)));

        Assert.Equal(IssuedAt.AddSeconds(2), snapshot.RefreshAt);
        Assert.Equal(IssuedAt.AddSeconds(3), snapshot.MustRefreshAt);
    }

    [Fact]
    public void CreateSnapshot_WindowLargerThanTheSkewAllows_RefreshAtNeverAfterMustRefreshAt()
    {
        var schedule = new RefreshSchedule(TimeSpan.Zero, TimeSpan.FromSeconds(30), schemeOverride: null);

        var snapshot = schedule.CreateSnapshot(Tokens(TimeSpan.FromHours(1)));

        Assert.Equal(snapshot.MustRefreshAt, snapshot.RefreshAt);
    }

    [Fact]
    public void CreateSnapshot_NoIssuedAt_UsesTheOptionsAsTheyAre()
    {
        var tokens = new TokenSet("a", IssuedAt.AddSeconds(4)) { RefreshToken = "r" };

        var snapshot = Defaults.CreateSnapshot(tokens);

        Assert.Equal(IssuedAt.AddSeconds(4).AddMinutes(-5), snapshot.RefreshAt);
        Assert.Equal(IssuedAt.AddSeconds(4).AddSeconds(-30), snapshot.MustRefreshAt);
    }

    [Fact]
    public void CreateSnapshot_NoRefreshToken_IsUsedUntilTheApiRejectsIt()
    {
        var snapshot = Defaults.CreateSnapshot(Tokens(TimeSpan.FromHours(1), refreshToken: null));

        Assert.Equal(DateTimeOffset.MaxValue, snapshot.RefreshAt);
        Assert.Equal(DateTimeOffset.MaxValue, snapshot.MustRefreshAt);
    }

    [Theory]
    [InlineData(null, "Bearer a")]
    [InlineData("token", "token a")]
    public void CreateSnapshot_HeaderValue_IsTheSchemeOrTokenTypeThenTheToken(string? scheme, string expected)
    {
        var snapshot = new RefreshSchedule(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), scheme).CreateSnapshot(Tokens(TimeSpan.FromHours(1)));

        Assert.Equal(expected, snapshot.HeaderValue);
    }
}
