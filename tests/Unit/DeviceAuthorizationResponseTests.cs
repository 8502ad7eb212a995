using System.Text;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class DeviceAuthorizationResponseTests
{
    private static DeviceAuthorizationResponse Parse(string extra) => DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(
        "{\"device_code\":\"d\",\"user_code\":\"U-1\",\"verification_uri\":\"https://id.example.com/device\"" + extra + "}"));

    [Theory]
    [InlineData(",\"interval\":0", 5)]
    [InlineData(",\"interval\":-3", 5)]
    [InlineData(",\"interval\":\"7\"", 7)]
    [InlineData(",\"interval\":2.5", 3)]
    [InlineData(",\"interval\":1e12", 5)]
    [InlineData("", 5)]
    [InlineData(",\"interval\":600", 600)]
    public void Parse_Interval_HasSafeDefaults(string field, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Parse(",\"expires_in\":900" + field).Interval);
    }

    [Theory]
    [InlineData("", 600)]
    [InlineData(",\"expires_in\":0", 600)]
    [InlineData(",\"expires_in\":\"1800\"", 1800)]
    [InlineData(",\"expires_in\":1e9", 600)]
    [InlineData(",\"expires_in\":0.4", 600)]
    public void Parse_ExpiresIn_DefaultsToTenMinutes(string field, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Parse(field).ExpiresIn);
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("\\u0007\\u0007")]
    public void Parse_UserCodeWithNothingPrintable_IsInvalid(string userCode)
    {
        var json = "{\"device_code\":\"d\",\"user_code\":\"" + userCode + "\",\"verification_uri\":\"https://id.example.com/d\"}";

        var ex = Assert.Throws<DeviceAuthorizationException>(() => DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("user_code", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PreRfcSpelling_IsAccepted()
    {
        var response = DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(
            "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":\"https://id.example.com/d\",\"expires_in\":60}"));

        Assert.Equal(new Uri("https://id.example.com/d"), response.VerificationUri);
    }

    [Theory]
    [InlineData(",\"verification_uri_complete\":\"javascript:alert(1)\"")]
    [InlineData(",\"verification_uri_complete\":\"http://evil.example.com/\"")]
    [InlineData(",\"verification_uri_complete\":42")]
    public void Parse_UnsafeCompleteUri_IsDropped(string field)
    {
        Assert.Null(Parse(field).VerificationUriComplete);
    }

    [Fact]
    public void Parse_HttpVerificationUri_IsRejected()
    {
        var ex = Assert.Throws<DeviceAuthorizationException>(() => DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(
            "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"http://id.example.com/device\"}")));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, ex.Failure);
    }

    [Theory]
    [InlineData("<html>")]
    [InlineData("[1]")]
    [InlineData("{\"device_code\":")]
    public void Parse_NotJson_IsInvalidResponse(string body)
    {
        var ex = Assert.Throws<DeviceAuthorizationException>(() => DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, ex.Failure);
    }
}

public sealed class DeviceAuthorizationResponseHostileInputTests
{
    private static DeviceAuthorizationResponse Parse(string json) => DeviceAuthorizationResponse.Parse(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("ABCD\\u001b[2JEFGH")]
    [InlineData("ABCD\\r\\nEFGH")]
    [InlineData("ABCD\\u202EEFGH")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Parse_UserCodeWithControlCharactersOrOverlong_IsInvalidNotAltered(string userCode)
    {
        var ex = Assert.Throws<DeviceAuthorizationException>(() => Parse(
            "{\"device_code\":\"d\",\"user_code\":\"" + userCode + "\",\"verification_uri\":\"https://id.example.com/d\"}"));

        Assert.Equal(DeviceAuthorizationFailure.InvalidResponse, ex.Failure);
        Assert.Contains("user_code", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://id.example.com/d\\r\\nX: y")]
    [InlineData("https://id.example.com/d evil")]
    [InlineData("https://id.example.com/\\u00e9")]
    public void Parse_VerificationUriWithControlOrNonAsciiCharacters_IsInvalid(string uri)
    {
        var ex = Assert.Throws<DeviceAuthorizationException>(() => Parse(
            "{\"device_code\":\"d\",\"user_code\":\"U-1\",\"verification_uri\":\"" + uri + "\"}"));

        Assert.Contains("verification_uri", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VerificationUriCompleteWithControlCharacters_IsDropped()
    {
        var response = Parse("{\"device_code\":\"d\",\"user_code\":\"U-1\",\"verification_uri\":\"https://id.example.com/d\",\"verification_uri_complete\":\"https://id.example.com/d?c=1\\r\\nX: y\"}");

        Assert.Null(response.VerificationUriComplete);
    }

    [Fact]
    public void Parse_ErrorWithControlCharacters_ExceptionAndPropertiesAreSanitised()
    {
        var ex = Assert.Throws<DeviceAuthorizationException>(() => Parse(
            "{\"error\":\"invalid_client\\r\\nX: y\",\"error_description\":\"bad\\u001b[2J client\"}"));

        Assert.Equal(DeviceAuthorizationFailure.Rejected, ex.Failure);
        Assert.Equal("invalid_clientX: y", ex.Error);
        Assert.Equal("bad[2J client", ex.ErrorDescription);
        Assert.DoesNotContain(ex.Message, char.IsControl);
    }

    [Fact]
    public void Parse_Utf8ByteOrderMark_IsAccepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"device_code":"d","user_code":"U-1","verification_uri":"https://id.example.com/d"}"""u8];

        Assert.Equal("U-1", DeviceAuthorizationResponse.Parse(body).UserCode);
    }
}
