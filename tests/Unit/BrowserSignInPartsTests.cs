using System.Text;
using AuthHandler.Browser.Internal;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Tests.Unit;

public sealed class BrowserSignInPartsTests
{
    private static AuthorizationServerMetadata Parse(string json) => MetadataDocumentParser.Parse(Encoding.UTF8.GetBytes(json), "https://id.example.com/.well-known/x");

    [Fact]
    public void Parse_CodeFlowFields_AreRead()
    {
        var metadata = Parse("""{"issuer":"https://id.example.com","authorization_endpoint":"https://id.example.com/authorize","code_challenge_methods_supported":["plain","S256",7],"authorization_response_iss_parameter_supported":true}""");

        Assert.Equal(new Uri("https://id.example.com/authorize"), metadata.AuthorizationEndpoint);
        Assert.Equal(["plain", "S256"], metadata.CodeChallengeMethods);
        Assert.True(metadata.IssParameterSupported);
    }

    [Fact]
    public void Parse_CodeFlowFieldsAbsent_NoEndpointNoMethodsIssNotRequired()
    {
        var metadata = Parse("""{"issuer":"https://id.example.com","authorization_response_iss_parameter_supported":"true"}""");

        Assert.Null(metadata.AuthorizationEndpoint);
        Assert.Null(metadata.CodeChallengeMethods);
        Assert.False(metadata.IssParameterSupported);
    }

    [Fact]
    public void Parse_AuthorizationEndpointOverPlainHttpOffLoopback_IsRejected()
    {
        var ex = Assert.Throws<DiscoveryException>(() => Parse("""{"issuer":"https://id.example.com","authorization_endpoint":"http://id.example.com/authorize"}"""));

        Assert.Contains("authorization_endpoint", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 50000", "SSH")]
    [InlineData("SSH_TTY", "/dev/pts/0", "SSH")]
    public void Probe_SshSessionWithADisplay_IsNoBrowser(string variable, string value, string reason)
    {
        var why = InteractiveEnvironment.Probe(name => name == variable ? value : name == "DISPLAY" ? ":0" : null, userInteractive: true);

        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DISPLAY", ":0")]
    [InlineData("WAYLAND_DISPLAY", "wayland-0")]
    public void Probe_LinuxWithADisplay_IsABrowser(string variable, string value)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD(), "the DISPLAY rule is the Linux and BSD one");

        Assert.Null(InteractiveEnvironment.Probe(name => name == variable ? value : null, userInteractive: true));
    }

    [Fact]
    public void Probe_LinuxWithoutADisplay_IsNoBrowser()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD(), "the DISPLAY rule is the Linux and BSD one");

        Assert.Contains("no display", InteractiveEnvironment.Probe(_ => null, userInteractive: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RequestLine_DecodesTheQueryAndMarksRepeatedParameters()
    {
        var request = LoopbackRequest.Parse("GET /callback?code=a%2Bb+c&state=s&state=t&iss=https%3A%2F%2Fid HTTP/1.1\r\nHost: x"u8)!;

        Assert.Equal("GET", request.Method);
        Assert.Equal("/callback", request.Path);
        Assert.Equal("a+b c", request.Parameters["code"]);
        Assert.Equal("https://id", request.Parameters["iss"]);
        Assert.False(request.Parameters.ContainsKey("state"));
        Assert.Contains("state", request.Repeated);
    }

    [Theory]
    [InlineData("GET /callback HTTP/2")]
    [InlineData("GET http://evil/callback HTTP/1.1")]
    [InlineData("get /callback HTTP/1.1")]
    [InlineData("GET  /callback HTTP/1.1")]
    [InlineData("GET /call\u0001back HTTP/1.1")]
    public void Parse_NotAnOriginFormHttp1RequestLine_IsNull(string line)
    {
        Assert.Null(LoopbackRequest.Parse(Encoding.Latin1.GetBytes(line + "\r\n")));
    }

    [Fact]
    public void Verifier_Is43CharactersOfBase64UrlAndS256MatchesRfc7636AppendixB()
    {
        Assert.Matches("^[A-Za-z0-9_-]{43}$", Pkce.NewVerifier());
        Assert.NotEqual(Pkce.NewVerifier(), Pkce.NewVerifier());

        // RFC 7636 Appendix B.
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.S256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    }
}
