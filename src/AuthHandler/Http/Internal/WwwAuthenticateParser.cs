using System.Net.Http.Headers;
using System.Text;
using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Protocol.Internal;

namespace AuthHandler.Http.Internal;

/// <summary>
/// Reads <c>WWW-Authenticate</c> challenges (RFC 9110 §11.6.1), tolerant of garbage: whatever
/// cannot be read is skipped up to the next comma, never thrown.
/// </summary>
internal static class WwwAuthenticateParser
{
    /// <summary>Longer header values are cut; no legitimate challenge comes close.</summary>
    public const int MaxLength = 8 * 1024;

    private const string HeaderName = "WWW-Authenticate";

    /// <summary>The scheme of bearer tokens (RFC 6750 §3).</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>The scheme of DPoP-bound tokens (RFC 9449 §7.1).</summary>
    public const string DPoPScheme = "DPoP";

    /// <summary>
    /// RFC 6750 §3.1: whether a new access token can fix this 401. <c>insufficient_scope</c>
    /// needs other scopes and <c>invalid_request</c> a different request; any other error, or no
    /// Bearer challenge at all, is treated as <c>invalid_token</c>.
    /// </summary>
    public static bool RefreshCanHelp(HttpResponseHeaders headers, out string? error) =>
        RefreshCanHelp(headers, BearerScheme, out error);

    /// <summary>
    /// Whether a new access token can fix this 401, read from the challenge of the
    /// <paramref name="scheme"/> the token was sent with only: a <c>DPoP</c> challenge's error is
    /// never taken for a <c>Bearer</c> one, nor the other way round (RFC 9449 §7.1 lets a
    /// resource send both). For <c>DPoP</c>, <c>use_dpop_nonce</c> asks for a new proof with the
    /// nonce (§9) and <c>invalid_dpop_proof</c> for a new proof: neither for a new token.
    /// </summary>
    public static bool RefreshCanHelp(HttpResponseHeaders headers, string scheme, out string? error)
    {
        var code = FindError(headers, scheme);
        if (code is null)
        {
            error = null;
            return true;
        }

        error = Text.PrintableAscii(code, Text.MaxCodeLength);
        if (code is "insufficient_scope" or OAuthErrorCodes.InvalidRequest)
        {
            return false;
        }

        return !string.Equals(scheme, DPoPScheme, StringComparison.OrdinalIgnoreCase)
            || code is not (DPoPErrorCodes.UseDPoPNonce or DPoPErrorCodes.InvalidDPoPProof);
    }

    /// <summary>
    /// The <c>error</c> of the first <c>DPoP</c> challenge that has one (RFC 9449 §7.1, e.g.
    /// <c>use_dpop_nonce</c>), printable ASCII and bounded; <see langword="null"/> when there is
    /// none. A <c>Bearer</c> challenge's error is never returned.
    /// </summary>
    public static string? DPoPError(HttpResponseHeaders headers) =>
        FindError(headers, DPoPScheme) is { } code ? Text.PrintableAscii(code, Text.MaxCodeLength) : null;

    // The raw error of the first challenge of this scheme that carries one.
    private static string? FindError(HttpResponseHeaders headers, string scheme)
    {
        if (!headers.NonValidated.TryGetValues(HeaderName, out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            foreach (var challenge in Parse(value))
            {
                if (string.Equals(challenge.Scheme, scheme, StringComparison.OrdinalIgnoreCase)
                    && challenge.Parameters.TryGetValue("error", out var code))
                {
                    return code;
                }
            }
        }

        return null;
    }

    public static List<AuthenticationChallenge> Parse(string header)
    {
        var input = header.Length > MaxLength ? header.AsSpan(0, MaxLength) : header.AsSpan();
        var challenges = new List<AuthenticationChallenge>();
        AuthenticationChallenge? current = null;
        var position = 0;

        while (true)
        {
            SkipWhitespaceAndCommas(input, ref position);
            if (position >= input.Length)
            {
                return challenges;
            }

            var token = ReadToken(input, ref position);
            if (token.Length == 0)
            {
                // Not a token: skip this list element.
                SkipPastComma(input, ref position);
                continue;
            }

            var afterToken = position;
            SkipWhitespace(input, ref position);
            if (current is not null && position < input.Length && input[position] == '=')
            {
                // auth-param = token BWS "=" BWS ( token / quoted-string )
                position++;
                SkipWhitespace(input, ref position);
                var value = position < input.Length && input[position] == '"'
                    ? ReadQuotedString(input, ref position)
                    : ReadToken(input, ref position);
                current.Parameters.TryAdd(token.ToLowerInvariant(), value);
                SkipPastComma(input, ref position);
                continue;
            }

            // A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ]
            current = new AuthenticationChallenge(token);
            challenges.Add(current);
            if (position > afterToken && TryReadToken68(input, ref position) is { } token68)
            {
                current.Token68 = token68;
            }
        }
    }

    private static string? TryReadToken68(ReadOnlySpan<char> input, ref int position)
    {
        var start = position;
        var end = start;
        while (end < input.Length && IsToken68Char(input[end]))
        {
            end++;
        }

        var charsEnd = end;
        while (end < input.Length && input[end] == '=')
        {
            end++;
        }

        var next = end;
        SkipWhitespace(input, ref next);

        // "realm=x" is a parameter, not a token68: a token68 stands alone up to a comma or the end.
        if (charsEnd == start || (next < input.Length && input[next] != ','))
        {
            return null;
        }

        position = next;
        return input[start..end].ToString();
    }

    private static string ReadToken(ReadOnlySpan<char> input, ref int position)
    {
        var start = position;
        while (position < input.Length && IsTokenChar(input[position]))
        {
            position++;
        }

        return input[start..position].ToString();
    }

    private static string ReadQuotedString(ReadOnlySpan<char> input, ref int position)
    {
        // RFC 9110 §5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). An unterminated
        // string runs to the end of the header.
        var builder = new StringBuilder();
        position++;
        while (position < input.Length)
        {
            var c = input[position++];
            if (c == '"')
            {
                break;
            }

            if (c == '\\' && position < input.Length)
            {
                c = input[position++];
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static void SkipPastComma(ReadOnlySpan<char> input, ref int position)
    {
        // Skips to the next comma that is not inside a quoted string.
        var quoted = false;
        while (position < input.Length)
        {
            var c = input[position];
            if (quoted && c == '\\')
            {
                position += 2;
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                position++;
                return;
            }

            position++;
        }
    }

    private static void SkipWhitespace(ReadOnlySpan<char> input, ref int position)
    {
        while (position < input.Length && input[position] is ' ' or '\t')
        {
            position++;
        }
    }

    private static void SkipWhitespaceAndCommas(ReadOnlySpan<char> input, ref int position)
    {
        while (position < input.Length && input[position] is ' ' or '\t' or ',')
        {
            position++;
        }
    }

    // RFC 9110 §5.6.2 tchar
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    // RFC 9110 §11.2 token68
    private static bool IsToken68Char(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/';
}
