namespace Tem.Execution;

/// <summary>
/// The start rate for a provider that refuses (429) but advertises no limits: unlimited until the first refusal,
/// then 90% of the rate the provider accepted over the last two seconds (or since the first success, counted over at least a second); each further refusal (at most one per
/// second, since a burst of refusals from requests already in flight is one signal) cuts it by 15%, and each
/// success adds a little (8% a second at high rates, faster at low ones), probing back up. Starts are spread evenly
/// at the rate. Not thread-safe: <see cref="ProviderPacing"/> holds its lock.
/// </summary>
internal sealed class AdaptiveRate
{
    private const double Horizon = 2;
    private readonly Queue<double> _accepted = new();
    private readonly StartSpacing _spacing = new();
    private double _lastCut = double.MinValue;

    /// <summary>Starts per second; 0 while no refusal has been seen.</summary>
    public double Rate { get; private set; }

    public void OnSucceeded(double now)
    {
        _accepted.Enqueue(now);
        while (_accepted.Count > 0 && _accepted.Peek() < now - Horizon)
        {
            _accepted.Dequeue();
        }

        if (Rate > 0)
        {
            Rate += Math.Max(0.08, 1 / Rate);
        }
    }

    public void OnRateLimited(double now)
    {
        if (now - _lastCut < 1)
        {
            return;
        }

        _lastCut = now;
        while (_accepted.Count > 0 && _accepted.Peek() < now - Horizon)
        {
            _accepted.Dequeue();
        }

        // What was accepted over the last two seconds, or since the first success; a span under a second would
        // mistake a burst for a rate.
        var span = _accepted.Count == 0 ? Horizon : Math.Clamp(now - _accepted.Peek(), 1, Horizon);
        var measured = _accepted.Count / span;
        Rate = Rate == 0 ? Math.Max(1, 0.9 * measured) : Math.Max(0.5, Rate * 0.85);
    }

    public int Allow(double now, out double wait) => _spacing.Allow(now, Rate, 2, out wait); // two: a late start may catch up

    public void Take(double now, int count) => _spacing.Take(now, Rate, count);
}
