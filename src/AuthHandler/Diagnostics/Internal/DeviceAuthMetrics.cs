using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AuthHandler.Diagnostics.Internal;

/// <summary>The library's instruments, created once per service provider from its <see cref="IMeterFactory"/>.</summary>
internal sealed class DeviceAuthMetrics
{
    public const string ClientTag = "authhandler.client";
    public const string OutcomeTag = "authhandler.outcome";
    public const string ReasonTag = "authhandler.reason";

    private readonly Counter<long> _refreshes;
    private readonly Histogram<double> _refreshDuration;
    private readonly Counter<long> _joins;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _signInRequired;
    private readonly Counter<long> _signIns;
    private readonly Counter<long> _storeLoads;

    public DeviceAuthMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(DeviceAuthDiagnostics.MeterName);
        _refreshes = meter.CreateCounter<long>("authhandler.refresh.count", "{refresh}", "Token refreshes by outcome.");
        _refreshDuration = meter.CreateHistogram<double>(
            "authhandler.refresh.duration",
            "s",
            "How long a refresh took, lock wait and store access included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _joins = meter.CreateCounter<long>("authhandler.refresh.joins", "{request}", "Requests that waited on a refresh started by another request.");
        _retries = meter.CreateCounter<long>("authhandler.request.retries", "{request}", "Requests re-sent after a 401 with a new token.");
        _signInRequired = meter.CreateCounter<long>("authhandler.sign_in_required", "{signal}", "Sign-in-required signals: the user must sign in again.");
        _signIns = meter.CreateCounter<long>("authhandler.signin.count", "{sign_in}", "Device sign-ins by outcome.");
        _storeLoads = meter.CreateCounter<long>("authhandler.store.load.count", "{load}", "First reads of the token store that needed no token-endpoint call, by outcome.");
    }

    public void Refreshed(string client, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { ClientTag, client }, { OutcomeTag, outcome } };
        _refreshes.Add(1, tags);
        _refreshDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>A session's first read of the store that called no token endpoint: not a refresh, so not in the refresh instruments.</summary>
    public void StoreLoaded(string client, string outcome) =>
        _storeLoads.Add(1, new KeyValuePair<string, object?>(ClientTag, client), new KeyValuePair<string, object?>(OutcomeTag, outcome));

    public void Joined(string client) => _joins.Add(1, new KeyValuePair<string, object?>(ClientTag, client));

    public void Retried(string client) => _retries.Add(1, new KeyValuePair<string, object?>(ClientTag, client));

    public void SignInRequired(string client, SignInRequiredReason reason) =>
        _signInRequired.Add(1, new KeyValuePair<string, object?>(ClientTag, client), new KeyValuePair<string, object?>(ReasonTag, Snake(reason.ToString())));

    public void SignIn(string client, string outcome) =>
        _signIns.Add(1, new KeyValuePair<string, object?>(ClientTag, client), new KeyValuePair<string, object?>(OutcomeTag, outcome));

    /// <summary>Enum names as low-cardinality snake_case tag values.</summary>
    public static string Snake(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
