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

    [Fact]
    public void Parse_DPoPSigningAlgorithms_AreRead()
    {
        var metadata = Parse("""{"issuer":"https://id.example.com","dpop_signing_alg_values_supported":["ES256","PS256"]}""");

        Assert.Equal(["ES256", "PS256"], metadata.DPoPSigningAlgorithms);
    }

    [Theory]
    [InlineData("""{"issuer":"https://id.example.com"}""")]
    [InlineData("""{"issuer":"https://id.example.com","dpop_signing_alg_values_supported":null}""")]
    public void Parse_NoDPoPSigningAlgorithms_IsNull(string json)
    {
        Assert.Null(Parse(json).DPoPSigningAlgorithms);
    }

    [Theory]
    [InlineData("\"ES256\"")]
    [InlineData("[\"ES256\",1]")]
    [InlineData("[\"\"]")]
    [InlineData("[\"ES 256\"]")]
    [InlineData("[\"ES256\\r\\nX: y\"]")]
    [InlineData("[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"]")]
    [InlineData("[[\"ES256\"]]")]
    public void Parse_DPoPSigningAlgorithmsNotAnArrayOfShortPrintableNames_IsRejected(string value)
    {
        var ex = Assert.Throws<DiscoveryException>(() => Parse("{\"issuer\":\"https://id.example.com\",\"dpop_signing_alg_values_supported\":" + value + "}"));

        Assert.Contains("dpop_signing_alg_values_supported", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ex.Message, char.IsControl);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public void Parse_MoreThan32DPoPSigningAlgorithms_IsRejected()
    {
        var names = string.Join(',', Enumerable.Range(0, 33).Select(i => "\"A" + i + "\""));

        Assert.Throws<DiscoveryException>(() => Parse("{\"issuer\":\"https://id.example.com\",\"dpop_signing_alg_values_supported\":[" + names + "]}"));
    }
}
