using System.Globalization;

namespace AuthHandler.Benchmarks.Infrastructure;

/// <summary>Nearest-rank percentiles over a sample of durations in milliseconds.</summary>
internal sealed class Percentiles
{
    private readonly double[] _sorted;

    public Percentiles(IEnumerable<double> milliseconds)
    {
        _sorted = [.. milliseconds];
        Array.Sort(_sorted);
    }

    public int Count => _sorted.Length;

    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];

    public double this[double percentile]
    {
        get
        {
            if (_sorted.Length == 0)
            {
                return double.NaN;
            }

            var rank = (int)Math.Ceiling(percentile / 100 * _sorted.Length);
            return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
        }
    }

    public static string Ms(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
