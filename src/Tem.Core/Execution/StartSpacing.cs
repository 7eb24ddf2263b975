namespace Tem.Execution;

/// <summary>
/// Spreads starts evenly at a rate, with room for a small burst (the generic cell rate algorithm): a start is due
/// one interval after the previous one, and up to <c>burst</c> may go at once after a quiet spell. Not thread-safe;
/// <see cref="ProviderPacing"/> holds its lock around it. Times are in seconds of the engine's clock.
/// </summary>
internal sealed class StartSpacing
{
    private double _due = double.MinValue;

    /// <summary>How many starts the rate allows at <paramref name="now"/>; when none, <paramref name="wait"/> says for how long.</summary>
    public int Allow(double now, double rate, double burst, out double wait)
    {
        wait = 0;
        if (rate <= 0 || double.IsInfinity(rate))
        {
            return int.MaxValue;
        }

        var interval = 1 / rate;
        var tolerance = (Math.Max(1, burst) - 1) * interval;
        var start = Math.Max(_due, now);
        var allowed = Math.Floor(((now + tolerance - start) / interval) + 1 + 1e-9);
        if (allowed >= 1)
        {
            return (int)Math.Min(int.MaxValue, allowed);
        }

        wait = start - tolerance - now;
        return 0;
    }

    /// <summary>Records <paramref name="count"/> starts at <paramref name="now"/>.</summary>
    public void Take(double now, double rate, int count)
    {
        if (rate > 0 && !double.IsInfinity(rate) && count > 0)
        {
            _due = Math.Max(_due, now) + (count / rate);
        }
    }
}
