using AuthHandler.Protocol.DPoP.Internal;
using AuthHandler.Sessions.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthHandler.Tests.Unit;

/// <summary>
/// A refresher and its redeemer wired as <c>DeviceAuthSessionFactory</c> wires them, over the
/// fakes: a recording store, an always-free lock, a scripted token endpoint and a clock that says
/// when the code parks on a timer.
/// </summary>
internal sealed class RefreshFixture
{
    public const string Key = "key";

    public static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <param name="fencingToken">The fencing token of the fake lock's leases.</param>
    /// <param name="refreshLock">A real lock to use instead of the fake one.</param>
    /// <param name="dpop">Whether the session has DPoP on (RFC 9449); null: the session has no DPoP state.</param>
    public RefreshFixture(long? fencingToken = null, IRefreshLock? refreshLock = null, bool? dpop = null)
    {
        DPoP = dpop is { } enabled ? new DPoPContext(enabled, new DPoPNonceCache(), Time) : null;
        Lock = new FakeRefreshLock { FencingToken = fencingToken };
        Endpoint = new ScriptedTokenEndpoint(Time);
        var context = new SessionContext("api", Key, Store, Time, Logger, DPoP);
        var reader = new StoreReader(context, Schedule);
        var writer = new StoreWriter(context);
        Redeemer = new TokenRedeemer(context, Endpoint.GetTokenEndpointAsync, Endpoint.RefreshAsync, Schedule, reader, writer, TimeSpan.FromHours(1));
        Refresher = new TokenRefresher(context, refreshLock ?? Lock, reader, Redeemer, writer);
    }

    public ObservableTimeProvider Time { get; } = new(Now);

    public DPoPContext? DPoP { get; }

    public Microsoft.Extensions.Logging.Testing.FakeLogger Logger { get; } = new();

    public RecordingTokenStore Store { get; } = new();

    public FakeRefreshLock Lock { get; }

    public ScriptedTokenEndpoint Endpoint { get; }

    public RefreshSchedule Schedule { get; } = new(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), schemeOverride: null);

    public TokenRedeemer Redeemer { get; }

    public TokenRefresher Refresher { get; }

    /// <summary>The signed-in tokens: an hour left, refresh token <c>refresh-1</c>.</summary>
    public static TokenSet Tokens(string accessToken = "access-1", string? refreshToken = "refresh-1") =>
        new(accessToken, Now.AddHours(1)) { RefreshToken = refreshToken, IssuedAt = Now };

    /// <summary>The stored tokens as they are now.</summary>
    public TokenSet? Stored => Store.Entry(Key).Tokens;

    /// <summary>Stores <paramref name="tokens"/> as a holder of the lock would (not recorded as this refresh's write).</summary>
    public TokenSet Seed(TokenSet tokens)
    {
        Store.Inner.SetAsync(Key, tokens, new FakeRefreshLock.Lease(Key, null), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return tokens;
    }

    /// <summary>Seeds <paramref name="tokens"/> and returns the snapshot of them the session holds: the one the API just rejected.</summary>
    public TokenSnapshot SignedIn(TokenSet tokens) => Schedule.CreateSnapshot(Seed(tokens));

    public Task<RefreshOutcome> RefreshAsync(TokenSnapshot? replacing) => Refresher.RefreshAsync(replacing, CancellationToken.None);
}
