using System.Text.Json;
using AuthHandler.Http.Internal;

namespace AuthHandler.Protocol.Internal;

/// <summary>Reads the fields of a discovery document this library needs; ignores the rest.</summary>
internal static class MetadataDocumentParser
{
    private const int MaxUriLength = 2048;

    // RFC 9449 §5.1: JWS algorithm names (RFC 7518 §3.1 names are a few characters); a server
    // lists a handful. Beyond these bounds the document is not one to trust with a sign-in.
    private const int MaxAlgorithms = 32;
    private const int MaxAlgorithmLength = 32;

    public static AuthorizationServerMetadata Parse(ReadOnlySpan<byte> body, string source)
    {
        string? issuer = null, token = null, device = null, revocation = null, authorization = null;
        List<string>? dpopAlgorithms = null;
        List<string>? challengeMethods = null;
        var issParameter = false;
        try
        {
            var reader = new Utf8JsonReader(Text.WithoutBom(body), new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                // A proxy's or captive portal's page: transient, like a bad token response.
                throw new DiscoveryException($"The discovery document {source} is not a JSON object.", isTransient: true);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "dpop_signing_alg_values_supported")
                {
                    // A null is an absent member, as the other optional members are read.
                    dpopAlgorithms = reader.TokenType == JsonTokenType.Null ? null : ReadAlgorithms(ref reader, source);
                    continue;
                }

                if (name == "code_challenge_methods_supported" && reader.TokenType == JsonTokenType.StartArray)
                {
                    challengeMethods = ReadStrings(ref reader);
                    continue;
                }

                if (name == "authorization_response_iss_parameter_supported")
                {
                    issParameter = reader.TokenType == JsonTokenType.True;
                }

                var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                switch (name)
                {
                    case "issuer": issuer = value; break;
                    case "token_endpoint": token = value; break;
                    case "device_authorization_endpoint": device = value; break;
                    case "revocation_endpoint": revocation = value; break;
                    case "authorization_endpoint": authorization = value; break;
                    default: break;
                }

                if (value is null)
                {
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new DiscoveryException($"The discovery document {source} is not valid JSON.", isTransient: true, ex);
        }

        if (string.IsNullOrEmpty(issuer))
        {
            throw new DiscoveryException($"The discovery document {source} has no issuer.", isTransient: false);
        }

        return new AuthorizationServerMetadata(issuer, Endpoint(token, "token_endpoint", source), Endpoint(device, "device_authorization_endpoint", source), Endpoint(revocation, "revocation_endpoint", source), dpopAlgorithms)
        {
            AuthorizationEndpoint = Endpoint(authorization, "authorization_endpoint", source),
            CodeChallengeMethods = challengeMethods,
            IssParameterSupported = issParameter,
        };
    }

    /// <summary>
    /// RFC 9449 §5.1: a JSON array of JWS algorithm names. Server text that may reach a message:
    /// short printable ASCII strings, a bounded number of them; anything else is a bad document.
    /// </summary>
    private static List<string> ReadAlgorithms(ref Utf8JsonReader reader, string source)
    {
        var invalid = $"The discovery document {source} has a dpop_signing_alg_values_supported that is not an array of at most {MaxAlgorithms} algorithm names.";
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new DiscoveryException(invalid, isTransient: false);
        }

        var algorithms = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String
                || reader.GetString() is not { Length: > 0 and <= MaxAlgorithmLength } algorithm
                || !algorithm.All(c => c is > ' ' and <= '~')
                || algorithms.Count == MaxAlgorithms)
            {
                throw new DiscoveryException(invalid, isTransient: false);
            }

            algorithms.Add(algorithm);
        }

        return algorithms;
    }

    /// <summary>The strings of an array (anything else in it is skipped), at most 16, each at most 64 characters of printable ASCII.</summary>
    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                if (values.Count < 16)
                {
                    values.Add(Text.PrintableAscii(reader.GetString()!, 64));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return values;
    }

    private static Uri? Endpoint(string? value, string field, string source)
    {
        if (value is null)
        {
            return null;
        }

        // Printable ASCII without spaces: an endpoint is a request target and may appear in messages.
        if (value.Length > MaxUriLength
            || !value.All(c => c is > ' ' and <= '~')
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || !OriginSet.IsSecure(uri))
        {
            throw new DiscoveryException($"The discovery document {source} has a {field} that is not an absolute https URL.", isTransient: false);
        }

        return uri;
    }
}
