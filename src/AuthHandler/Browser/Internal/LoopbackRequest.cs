using System.Text;

namespace AuthHandler.Browser.Internal;

/// <summary>The request line of an HTTP/1.x request to the listener, with its query parameters decoded.</summary>
internal sealed class LoopbackRequest
{
    private LoopbackRequest(string method, string path, Dictionary<string, string> parameters, HashSet<string> repeated)
    {
        Method = method;
        Path = path;
        Parameters = parameters;
        Repeated = repeated;
    }

    public string Method { get; }

    /// <summary>The path, as sent (not decoded).</summary>
    public string Path { get; }

    public Dictionary<string, string> Parameters { get; }

    /// <summary>Parameters that appeared more than once.</summary>
    public HashSet<string> Repeated { get; }

    /// <summary>Parses the request line of <paramref name="head"/> (request line and headers, ASCII); null when it is not <c>METHOD /target HTTP/1.x</c>.</summary>
    public static LoopbackRequest? Parse(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var line = lineEnd < 0 ? head : head[..lineEnd];
        foreach (var b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return null;
            }
        }

        var parts = Encoding.ASCII.GetString(line).Split(' ');
        if (parts.Length != 3
            || parts[0].Length is 0 or > 16
            || !parts[0].All(char.IsAsciiLetterUpper)
            || !parts[1].StartsWith('/')
            || parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return null;
        }

        var target = parts[1];
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            target = target[..hash];
        }

        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var repeated = new HashSet<string>(StringComparer.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                string name, value;
                try
                {
                    name = Decode(equals < 0 ? pair : pair[..equals]);
                    value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
                }
                catch (UriFormatException)
                {
                    return null;
                }

                if (repeated.Contains(name))
                {
                    continue;
                }

                if (!parameters.TryAdd(name, value))
                {
                    parameters.Remove(name);
                    repeated.Add(name);
                }
            }
        }

        return new LoopbackRequest(parts[0], path, parameters, repeated);
    }

    /// <summary>application/x-www-form-urlencoded: '+' is a space, then percent-decoding.</summary>
    private static string Decode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}
