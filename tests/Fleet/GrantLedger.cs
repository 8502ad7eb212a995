using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace AuthHandler.Fleet;

/// <summary>
/// The one sign-in the fleet shares, as a rotating authorization server keeps it: each refresh
/// token is redeemable once; presenting a spent one is taken as theft and revokes the whole grant
/// (RFC 9700 §4.14.2), unless it comes back within the grace period (Auth0's reuse interval,
/// Cognito's grace period), which answers the same successor again.
/// </summary>
/// <remarks>
/// Access tokens stay valid until they expire after a revocation, like self-contained (JWT)
/// access tokens; they live 3 s here, so that changes little.
/// </remarks>
internal sealed class GrantLedger
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _lifetime;
    private readonly TimeSpan _grace;
    private readonly Dictionary<string, SpentToken> _spent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal);
    private readonly List<ServerEvent> _events = [];
    private IssuedTokens _current;
    private bool _revoked;
    private long _refreshes;
    private long _reuses;
    private long _graceReplays;
    private long _rejectedAfterRevocation;
    private long _unknownTokens;

    public GrantLedger(TimeSpan lifetime, TimeSpan grace)
    {
        _lifetime = lifetime;
        _grace = grace;
        _current = Issue(0);
    }

    /// <summary>The newest tokens issued: what the store should hold at the end.</summary>
    public IssuedTokens Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public bool Revoked
    {
        get
        {
            lock (_gate)
            {
                return _revoked;
            }
        }
    }

    public long Refreshes => Interlocked.Read(ref _refreshes);

    public long Reuses => Interlocked.Read(ref _reuses);

    public long GraceReplays => Interlocked.Read(ref _graceReplays);

    public long RejectedAfterRevocation => Interlocked.Read(ref _rejectedAfterRevocation);

    public long UnknownTokens => Interlocked.Read(ref _unknownTokens);

    /// <summary>Redeems <paramref name="presented"/>; the tokens are null for every outcome but a rotation or a grace replay.</summary>
    public (RedeemOutcome Outcome, IssuedTokens? Tokens) Redeem(string presented, string worker)
    {
        var now = DateTimeOffset.UtcNow;
        lock (_gate)
        {
            if (_revoked)
            {
                Interlocked.Increment(ref _rejectedAfterRevocation);
                return (RedeemOutcome.Revoked, null);
            }

            if (presented == _current.RefreshToken)
            {
                var successor = Issue(_current.Generation + 1);
                _spent[presented] = new SpentToken(_current.Generation, now, successor);
                _current = successor;
                Interlocked.Increment(ref _refreshes);
                return (RedeemOutcome.Rotated, successor);
            }

            if (!_spent.TryGetValue(presented, out var spent))
            {
                Interlocked.Increment(ref _unknownTokens);
                return (RedeemOutcome.Unknown, null);
            }

            if (now - spent.SpentAt <= _grace)
            {
                Interlocked.Increment(ref _graceReplays);
                Record("grace-replay", worker, spent.Generation);

                // The same refresh token as the first answer, with an access token of its own.
                var replay = spent.Successor with { AccessToken = Random("at", spent.Successor.Generation), ExpiresAt = now + _lifetime };
                _accessTokens[replay.AccessToken] = replay.ExpiresAt;
                return (RedeemOutcome.GraceReplay, replay);
            }

            _revoked = true;
            Interlocked.Increment(ref _reuses);
            Record("reuse-revoked-grant", worker, spent.Generation);
            return (RedeemOutcome.Reused, null);
        }
    }

    public bool Accepts(string accessToken) =>
        _accessTokens.TryGetValue(accessToken, out var expiresAt) && DateTimeOffset.UtcNow < expiresAt;

    /// <summary>The generation of a refresh token this grant issued, or null.</summary>
    public long? GenerationOf(string? refreshToken)
    {
        lock (_gate)
        {
            return refreshToken == _current.RefreshToken ? _current.Generation
                : refreshToken is not null && _spent.TryGetValue(refreshToken, out var spent) ? spent.Generation
                : null;
        }
    }

    public void Record(string kind, string worker, long generation)
    {
        lock (_events)
        {
            _events.Add(new ServerEvent(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), kind, worker, generation));
        }
    }

    public IReadOnlyList<ServerEvent> Events()
    {
        lock (_events)
        {
            return [.. _events];
        }
    }

    private IssuedTokens Issue(long generation)
    {
        var tokens = new IssuedTokens(Random("at", generation), Random("rt", generation), generation, DateTimeOffset.UtcNow + _lifetime);
        _accessTokens[tokens.AccessToken] = tokens.ExpiresAt;
        return tokens;
    }

    // RFC 6750 §2.1 b64token characters only; the generation is for the reader of a dump, never parsed.
    private static string Random(string kind, long generation) =>
        $"{kind}.{generation}.{Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_')}";
}
