namespace Tem.ProviderSimulator;

/// <summary>The provider's own view of a sliding-window limit: amounts with their times, summed over the window.</summary>
internal sealed class SlidingLimit(long limit, TimeSpan window, TimeProvider time)
{
    private readonly Queue<(long At, long Amount)> _entries = new();
    private long _sum;

    public long Limit => limit;

    /// <summary>Takes <paramref name="amount"/> if it fits; otherwise says when enough will have expired.</summary>
    public bool TryTake(long amount, out TimeSpan retryAfter, out long remaining, out TimeSpan reset)
    {
        var now = time.GetTimestamp();
        while (_entries.Count > 0 && time.GetElapsedTime(_entries.Peek().At, now) >= window)
        {
            _sum -= _entries.Dequeue().Amount;
        }

        reset = _entries.Count == 0 ? TimeSpan.Zero : window - time.GetElapsedTime(_entries.Peek().At, now);
        if (_sum + amount <= limit)
        {
            _entries.Enqueue((now, amount));
            _sum += amount;
            remaining = limit - _sum;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        // Walk the oldest entries until enough would have expired.
        var needed = _sum + amount - limit;
        retryAfter = window;
        foreach (var (at, value) in _entries)
        {
            needed -= value;
            if (needed <= 0)
            {
                retryAfter = window - time.GetElapsedTime(at, now);
                break;
            }
        }

        remaining = limit - _sum;
        return false;
    }
}
