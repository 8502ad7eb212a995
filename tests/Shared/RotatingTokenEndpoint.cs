using System.Globalization;
using System.Text.Json;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace AuthHandler.Tests;

/// <summary>
/// A stand-in for a rotating authorization server's token endpoint (POST /token on a WireMock
/// server), refresh grant only. Generation n is the pair <c>at-n-SECRET</c> / <c>rt-n-SECRET</c>;
/// the test seeds generation 1 as the sign-in. Each refresh token works once: presenting the live
/// one issues the next generation. Presenting a spent one is a reuse (RFC 9700 §4.14): a strict
/// server answers <c>invalid_grant</c> and revokes the grant, so every later presentation fails
/// too; a server with a reuse grace window instead answers a re-presentation of the token just
/// rotated, within the window, with the same successor (Auth0's reuse interval, Okta's and
/// Cognito's grace period, Ory's).
/// </summary>
/// <remarks>
/// Every presentation is recorded in arrival order with what the server did with it. The test
/// decides whether the server "has redeemed" when it holds a request: <see cref="HoldPoint.BeforeRotation"/>
/// holds it before the server looks at it (a request that never reached the rotation: dropped
/// unprocessed when the test abandons it), <see cref="HoldPoint.AfterRotation"/> rotates first
/// and then holds the answer (the documented window: the server redeemed, the client never heard).
/// The grace window runs on the real clock unless a <see cref="TimeProvider"/> is given: the
/// server is another party, with its own clock.
/// </remarks>
internal sealed class RotatingTokenEndpoint : IAsyncDisposable
{
    /// <summary>How long a test waits, on the real clock, for a request that should already be on its way.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly List<Presentation> _presentations = [];
    private readonly Queue<Hold> _pendingHolds = new();
    private readonly List<Hold> _holds = [];
    private readonly TimeSpan? _reuseGrace;
    private readonly int _expiresIn;
    private readonly TimeProvider _time;
    private int _generation = 1;
    private long _rotatedAt;
    private bool _revoked;

    private RotatingTokenEndpoint(TimeSpan? reuseGrace, int expiresIn, TimeProvider time)
    {
        _reuseGrace = reuseGrace;
        _expiresIn = expiresIn;
        _time = time;
    }

    /// <summary>Where the server holds a request (see the remarks of the class).</summary>
    public enum HoldPoint
    {
        BeforeRotation,
        AfterRotation,
    }

    /// <summary>What the server did with a presented refresh token.</summary>
    public enum Outcome
    {
        /// <summary>Held before the server looked at it, and never processed.</summary>
        NotProcessed,

        /// <summary>The live refresh token: rotated, the next generation issued.</summary>
        Rotated,

        /// <summary>The token just rotated, presented again within the grace window: the same successor issued again.</summary>
        GraceReplay,

        /// <summary>A spent refresh token: invalid_grant, and the grant revoked.</summary>
        Reused,

        /// <summary>Presented after the grant was revoked: invalid_grant.</summary>
        RejectedRevoked,

        /// <summary>Not a refresh token this server issued: invalid_grant.</summary>
        Unknown,
    }

    public static string AccessToken(int generation) => string.Create(CultureInfo.InvariantCulture, $"at-{generation}-SECRET");

    public static string RefreshToken(int generation) => string.Create(CultureInfo.InvariantCulture, $"rt-{generation}-SECRET");

    /// <summary>Every presentation, in arrival order.</summary>
    public IReadOnlyList<Presentation> Presentations
    {
        get
        {
            lock (_gate)
            {
                return [.. _presentations];
            }
        }
    }

    public int Rotations => Count(Outcome.Rotated);

    /// <summary>Spent refresh tokens presented outside any grace: what reuse detection counts.</summary>
    public int Reuses => Count(Outcome.Reused);

    /// <summary>Whether reuse detection revoked the grant.</summary>
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

    /// <summary>The generation of the refresh token that is live now.</summary>
    public int Generation
    {
        get
        {
            lock (_gate)
            {
                return _generation;
            }
        }
    }

    /// <summary>
    /// Serves POST /token on <paramref name="idp"/>. <paramref name="reuseGrace"/>: null for a
    /// strict server; otherwise how long after a rotation the rotated token may be presented again.
    /// </summary>
    public static RotatingTokenEndpoint Start(WireMockServer idp, TimeSpan? reuseGrace = null, int expiresIn = 3600, TimeProvider? time = null)
    {
        var endpoint = new RotatingTokenEndpoint(reuseGrace, expiresIn, time ?? TimeProvider.System);
        idp.Given(Request.Create().WithPath("/token").UsingPost()).RespondWith(Response.Create().WithCallback(endpoint.AnswerAsync));
        return endpoint;
    }

    /// <summary>Holds the next request that arrives at <paramref name="point"/>.</summary>
    public Hold HoldNext(HoldPoint point)
    {
        var hold = new Hold(point);
        lock (_gate)
        {
            _pendingHolds.Enqueue(hold);
            _holds.Add(hold);
        }

        return hold;
    }

    /// <summary>Lets every held request go: those held before the rotation unprocessed, the others with their answer.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var hold in _holds)
            {
                hold.Abandon();
            }
        }

        return ValueTask.CompletedTask;
    }

    private int Count(Outcome outcome)
    {
        lock (_gate)
        {
            return _presentations.Count(p => p.Outcome == outcome);
        }
    }

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var form = System.Web.HttpUtility.ParseQueryString(request.Body ?? string.Empty);
        var presented = form["refresh_token"] ?? string.Empty;
        Presentation presentation;
        Hold? hold;
        lock (_gate)
        {
            presentation = new Presentation(presented, form["grant_type"]);
            _presentations.Add(presentation);
            hold = _pendingHolds.TryDequeue(out var next) ? next : null;
        }

        if (hold?.Point == HoldPoint.BeforeRotation)
        {
            hold.Reach();
            if (!await hold.WaitAsync())
            {
                return Json(503, new { error = "temporarily_unavailable" });
            }
        }

        var (status, body) = Process(presentation);
        if (hold?.Point == HoldPoint.AfterRotation)
        {
            hold.Reach();
            await hold.WaitAsync();
        }

        return Json(status, body);
    }

    private (int Status, object Body) Process(Presentation presentation)
    {
        lock (_gate)
        {
            if (presentation.GrantType != "refresh_token" || !TryGeneration(presentation.RefreshToken, out var generation) || generation > _generation)
            {
                presentation.Outcome = Outcome.Unknown;
                return InvalidGrant("unknown refresh token");
            }

            if (_revoked)
            {
                presentation.Outcome = Outcome.RejectedRevoked;
                return InvalidGrant("grant revoked");
            }

            if (generation == _generation)
            {
                _generation++;
                _rotatedAt = _time.GetTimestamp();
                presentation.Outcome = Outcome.Rotated;
                return (200, Tokens(_generation));
            }

            if (generation == _generation - 1 && _reuseGrace is { } grace && _time.GetElapsedTime(_rotatedAt) <= grace)
            {
                presentation.Outcome = Outcome.GraceReplay;
                return (200, Tokens(_generation));
            }

            // RFC 9700 §4.14.2: the server cannot tell which party presented the spent token, so
            // it revokes the active refresh token as well.
            _revoked = true;
            presentation.Outcome = Outcome.Reused;
            return InvalidGrant("refresh token reused");
        }
    }

    private object Tokens(int generation) => new
    {
        access_token = AccessToken(generation),
        token_type = "Bearer",
        expires_in = _expiresIn,
        refresh_token = RefreshToken(generation),
    };

    private static (int, object) InvalidGrant(string description) => (400, new { error = "invalid_grant", error_description = description });

    private static bool TryGeneration(string refreshToken, out int generation)
    {
        generation = 0;
        var parts = refreshToken.Split('-');
        return parts is ["rt", var number, "SECRET"] && int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out generation) && generation > 0;
    }

    private static ResponseMessage Json(int status, object body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json"), ["Cache-Control"] = new("no-store") },
        BodyData = new BodyData { BodyAsString = JsonSerializer.Serialize(body), DetectedBodyType = BodyType.String },
    };

    /// <summary>One refresh token presented, and what the server did with it (set once it has).</summary>
    internal sealed class Presentation(string refreshToken, string? grantType)
    {
        public string RefreshToken { get; } = refreshToken;

        public string? GrantType { get; } = grantType;

        public Outcome Outcome { get; set; } = Outcome.NotProcessed;

        public override string ToString() => RefreshToken + ":" + Outcome;
    }

    /// <summary>One held request: the test learns when it arrives and decides when it goes on.</summary>
    internal sealed class Hold(HoldPoint point)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HoldPoint Point { get; } = point;

        /// <summary>Completes when the held request has arrived (and, after the rotation, been processed).</summary>
        public Task WaitUntilReachedAsync() => _reached.Task.WaitAsync(Patience);

        /// <summary>Lets the request go on: processed, if held before the rotation.</summary>
        public void Release() => _released.TrySetResult(true);

        /// <summary>Lets the request go without processing it, if held before the rotation; the client is gone.</summary>
        public void Abandon() => _released.TrySetResult(false);

        internal void Reach() => _reached.TrySetResult();

        internal Task<bool> WaitAsync() => _released.Task;
    }
}
