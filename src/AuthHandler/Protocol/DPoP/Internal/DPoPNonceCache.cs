using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace AuthHandler.Protocol.DPoP.Internal;

/// <summary>
/// The latest <c>DPoP-Nonce</c> each origin gave (RFC 9449 §8 for the token endpoint, §9 for
/// resource servers): a server may send a new one on any response, and the next proof to that
/// origin carries it. Server input: a value that is not a valid nonce is ignored, never thrown
/// on (invariant 10), and the cache holds at most <see cref="MaxOrigins"/> origins.
/// </summary>
internal sealed class DPoPNonceCache
{
    /// <summary>The most origins remembered; a client talks to one token endpoint and a few APIs.</summary>
    public const int MaxOrigins = 64;

    /// <summary>
    /// The longest nonce kept. RFC 9449 sets no limit; every proof carries the nonce, so a server
    /// that sends a huge one is ignored rather than echoed into every request.
    /// </summary>
    public const int MaxNonceLength = 1024;

    /// <summary>The response header that carries a nonce (RFC 9449 §8.1).</summary>
    public const string HeaderName = "DPoP-Nonce";

    // Reads (one per proof) take no lock; writes are rare (a server rotating its nonce) and take
    // the lock, so the bound and the eviction order stay exact.
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();
    private long _sequence;

    /// <summary>Gets the number of origins remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>RFC 9449 §8: <c>nonce = 1*NQCHAR</c>, <c>NQCHAR = %x21 / %x23-5B / %x5D-7E</c>, bounded by <see cref="MaxNonceLength"/>.</summary>
    public static bool IsValidNonce(string? nonce)
    {
        if (string.IsNullOrEmpty(nonce) || nonce.Length > MaxNonceLength)
        {
            return false;
        }

        foreach (var c in nonce)
        {
            if (c is < '\x21' or > '\x7E' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gets the nonce to put in the next proof to <paramref name="target"/>'s origin, or <see langword="null"/> when it gave none.</summary>
    public string? Get(Uri target) =>
        OriginKey(target) is { } origin && _entries.TryGetValue(origin, out var entry) ? entry.Nonce : null;

    /// <summary>
    /// Remembers the <c>DPoP-Nonce</c> of a response from <paramref name="target"/>'s origin, if
    /// it has exactly one valid one; returns whether it did.
    /// </summary>
    public bool Remember(Uri target, HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!headers.NonValidated.TryGetValues(HeaderName, out var values) || values.Count != 1)
        {
            // None, or several: with two nonces there is no telling which is the latest.
            return false;
        }

        foreach (var value in values)
        {
            return Remember(target, value);
        }

        return false;
    }

    /// <summary>Remembers <paramref name="nonce"/> for <paramref name="target"/>'s origin if it is valid; returns whether it did.</summary>
    public bool Remember(Uri target, string? nonce)
    {
        if (!IsValidNonce(nonce) || OriginKey(target) is not { } origin)
        {
            return false;
        }

        lock (_writeLock)
        {
            if (!_entries.ContainsKey(origin) && _entries.Count >= MaxOrigins)
            {
                EvictOldest();
            }

            _entries[origin] = new Entry(nonce!, ++_sequence);
        }

        return true;
    }

    // Scheme, host and port (RFC 6454 §4), normalised by Uri; the port always written, so
    // https://a and https://a:443 are one origin. User info, path, query and fragment are not part of it.
    private static string? OriginKey(Uri? target) =>
        target is { IsAbsoluteUri: true }
            ? target.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort, UriFormat.UriEscaped)
            : null;

    private void EvictOldest()
    {
        // Linear over at most MaxOrigins entries, and only when a new origin arrives at the bound.
        string? oldest = null;
        var oldestSequence = long.MaxValue;
        foreach (var (origin, entry) in _entries)
        {
            if (entry.Sequence < oldestSequence)
            {
                oldest = origin;
                oldestSequence = entry.Sequence;
            }
        }

        if (oldest is not null)
        {
            _entries.TryRemove(oldest, out _);
        }
    }

    private sealed record Entry(string Nonce, long Sequence);
}
