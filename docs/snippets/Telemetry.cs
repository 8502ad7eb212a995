using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AuthHandler.Docs.Snippets;

/// <summary>Samples of docs/telemetry.md: the library's metrics and spans without any exporter package.</summary>
public static class Telemetry
{
    /// <summary>Prints every measurement of the library's meter.</summary>
    /// <returns>The listener; dispose it to stop listening.</returns>
    public static MeterListener ListenToMetrics()
    {
        #region meter-listener
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == DeviceAuthDiagnostics.MeterName)
                {
                    meterListener.EnableMeasurementEvents(instrument);
                }
            },
        };

        // Counters are long, the duration histogram is double.
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Print(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Print(instrument, value, tags));
        listener.Start();

        static void Print<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var text = new List<string>();
            foreach (var (key, tagValue) in tags)
            {
                text.Add($"{key}={tagValue}");
            }

            // e.g. authhandler.refresh.count 1 authhandler.client=ForecastApi, authhandler.outcome=refreshed
            Console.WriteLine($"{instrument.Name} {value} {string.Join(", ", text)}");
        }
        #endregion
        return listener;
    }

    /// <summary>Prints the library's spans when they end.</summary>
    /// <returns>The listener; dispose it to stop listening.</returns>
    public static ActivityListener ListenToSpans()
    {
        #region activity-listener
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DeviceAuthDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => Console.WriteLine(
                $"{span.OperationName} {span.Duration.TotalMilliseconds:0} ms " +
                $"outcome={span.GetTagItem("authhandler.outcome")} status={span.Status} " +
                $"links={span.Links.Count()}"),  // a link per waiting request that had a span of its own
        };
        ActivitySource.AddActivityListener(listener);
        #endregion
        return listener;
    }
}
