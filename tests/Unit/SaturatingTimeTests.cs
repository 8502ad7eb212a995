using AuthHandler.Storage.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class SaturatingTimeTests
{
    private static readonly DateTimeOffset Noon = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AddAndSubtract_InRange_AreExact()
    {
        Assert.Equal(Noon.AddHours(1), SaturatingTime.Add(Noon, TimeSpan.FromHours(1)));
        Assert.Equal(Noon.AddHours(-1), SaturatingTime.Subtract(Noon, TimeSpan.FromHours(1)));
        Assert.Equal(Noon.AddHours(-1), SaturatingTime.Add(Noon, TimeSpan.FromHours(-1)));
    }

    [Fact]
    public void Subtract_BelowMinValue_ClampsToMinValue()
    {
        Assert.Equal(DateTimeOffset.MinValue, SaturatingTime.Subtract(DateTimeOffset.MinValue, TimeSpan.FromSeconds(30)));
        Assert.Equal(DateTimeOffset.MinValue, SaturatingTime.Subtract(Noon, TimeSpan.MaxValue));
        Assert.Equal(DateTimeOffset.MinValue, SaturatingTime.Add(Noon, TimeSpan.MinValue));
    }

    [Fact]
    public void Add_AboveMaxValue_ClampsToMaxValue()
    {
        Assert.Equal(DateTimeOffset.MaxValue, SaturatingTime.Add(DateTimeOffset.MaxValue, TimeSpan.FromSeconds(30)));
        Assert.Equal(DateTimeOffset.MaxValue, SaturatingTime.Add(Noon, TimeSpan.MaxValue));
        Assert.Equal(DateTimeOffset.MaxValue, SaturatingTime.Subtract(Noon, TimeSpan.MinValue));
    }

    [Fact]
    public void Subtract_InstantWithOffsetNearMinValue_ClampsInsteadOfThrowing()
    {
        // 0001-01-01T00:00-05:00 is 05:00 UTC: representable, but its clock time minus an hour is not.
        var nearMin = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5));

        Assert.Equal(new DateTimeOffset(1, 1, 1, 4, 0, 0, TimeSpan.Zero), SaturatingTime.Subtract(nearMin, TimeSpan.FromHours(1)));
        Assert.Equal(DateTimeOffset.MinValue, SaturatingTime.Subtract(nearMin, TimeSpan.FromHours(6)));
    }
}
