using System.Net;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static TimeSpan? Read(string? value)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        if (value is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", value);
        }

        return RetryAfter.Read(response.Headers, Now);
    }

    [Fact]
    public void Read_Seconds_IsThatDelay()
    {
        Assert.Equal(TimeSpan.FromSeconds(3600), Read("3600"));
    }

    [Fact]
    public void Read_HttpDate_IsTheTimeUntilThatDate()
    {
        Assert.Equal(TimeSpan.FromDays(1), Read("Fri, 02 Jan 2026 12:00:00 GMT"));
    }

    [Fact]
    public void Read_DateInThePast_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, Read("Wed, 31 Dec 2025 12:00:00 GMT"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("soon")]
    public void Read_AbsentOrUnreadable_IsNull(string? value)
    {
        Assert.Null(Read(value));
    }
}
