using System.Text;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class MetadataDocumentParserTests
{
    private static AuthorizationServerMetadata Parse(string json) => MetadataDocumentParser.Parse(Encoding.UTF8.GetBytes(json), "https://id.example.com/.well-known/x");

    [Theory]
    [InlineData("https://id.example.com/token\\r\\nX: y")]
    [InlineData("https://id.example.com/to ken")]
    [InlineData("https://id.example.com/t\\u00f6ken")]
    [InlineData("http://id.example.com/token")]
    public void Parse_EndpointThatIsNotAPrintableHttpsUrl_IsRejected(string endpoint)
    {
        var ex = Assert.Throws<DiscoveryException>(() => Parse("{\"issuer\":\"https://id.example.com\",\"token_endpoint\":\"" + endpoint + "\"}"));

        Assert.Contains("token_endpoint", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ex.Message, char.IsControl);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public void Parse_Utf8ByteOrderMark_IsAccepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"issuer":"https://id.example.com","token_endpoint":"https://id.example.com/token"}"""u8];

        Assert.Equal(new Uri("https://id.example.com/token"), MetadataDocumentParser.Parse(body, "x").TokenEndpoint);
    }
}
