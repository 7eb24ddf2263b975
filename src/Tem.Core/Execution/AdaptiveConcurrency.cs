namespace Tem.Execution;

/// <summary>
/// Additive increase, multiplicative decrease of the number of handlers allowed at once. A burst of
/// refusals from requests already in flight counts as one signal: after a decrease, further refusals
/// within one cool-down are ignored, as TCP ignores losses within one round trip.
/// </summary>
internal sealed class AdaptiveConcurrency(int maximum, bool enabled, TimeProvider time)
{
    private static readonly TimeSpan CoolDown = TimeSpan.FromSeconds(1);
    private readonly object _lock = new();
    private double _limit = maximum;
    private long _lastDecrease = long.MinValue;

    public int Current
    {
        get
        {
            lock (_lock)
            {
                return Math.Max(1, (int)_limit);
            }
        }
    }

    public void OnSuccess()
    {
        if (!enabled)
        {
            return;
        }

        lock (_lock)
        {
            // +1 per limit-many successes: one step per round of the current window.
            _limit = Math.Min(maximum, _limit + (1.0 / Math.Max(1.0, _limit)));
        }
    }

    public void OnRefused()
    {
        if (!enabled)
        {
            return;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_lastDecrease != long.MinValue && time.GetElapsedTime(_lastDecrease, now) < CoolDown)
            {
                return;
            }

            _lastDecrease = now;
            _limit = Math.Max(1.0, _limit / 2);
        }
    }
}
