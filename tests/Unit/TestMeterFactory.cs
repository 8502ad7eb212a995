using System.Diagnostics.Metrics;

namespace AuthHandler.Tests.Unit;

/// <summary>Creates real meters for the library's instruments and disposes them with the test.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    /// <summary>The meters this factory created: a listener filters on them, since tests run in parallel.</summary>
    public IReadOnlyList<Meter> Meters => _meters;

    public Meter Create(MeterOptions options)
    {
        // Scoped to this factory, as the runtime's factory scopes its meters, so that a
        // MetricCollector built with this factory hears this test's meters and no other test's.
        options.Scope = this;
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
