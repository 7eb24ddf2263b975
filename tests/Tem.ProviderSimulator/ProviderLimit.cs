namespace Tem.ProviderSimulator;

/// <summary>One of the provider's own limits (requests or tokens), as it counts them.</summary>
internal abstract class ProviderLimit(long limit)
{
    public long Limit { get; private set; } = limit;

    /// <summary>Takes <paramref name="amount"/> if it fits; otherwise says when enough will be back.
    /// Either way reports what is left and how long until the limit is fully replenished.</summary>
    public abstract bool TryTake(long amount, out TimeSpan retryAfter, out long remaining, out TimeSpan untilFull);

    /// <summary>Returns what the last successful <see cref="TryTake"/> took (a later limit refused the request).</summary>
    public abstract void GiveBack(long amount);

    /// <summary>What is left now and how long until full, read after a <see cref="GiveBack"/> so a refusal's headers agree with each other.</summary>
    public abstract void Peek(out long remaining, out TimeSpan untilFull);

    /// <summary>Changes the limit mid-run (the provider lowered the account's tier, say).</summary>
    public virtual void Scale(double factor) => Limit = Math.Max(1, (long)(Limit * factor));
}

/// <summary>A sliding window: amounts with their times, summed over the window.</summary>
internal sealed class SlidingLimit(long limit, TimeSpan window, TimeProvider time) : ProviderLimit(limit)
{
    private readonly Queue<(long At, long Amount)> _entries = new();
    private long _sum;
    private long _last;

    public override bool TryTake(long amount, out TimeSpan retryAfter, out long remaining, out TimeSpan untilFull)
    {
        var now = time.GetTimestamp();
        while (_entries.Count > 0 && time.GetElapsedTime(_entries.Peek().At, now) >= window)
        {
            _sum -= _entries.Dequeue().Amount;
        }

        retryAfter = TimeSpan.Zero;
        var taken = _sum + amount <= Limit;
        if (taken)
        {
            _entries.Enqueue((now, amount));
            _sum += amount;
        }
        else
        {
            // Walk the oldest entries until enough would have expired.
            var needed = _sum + amount - Limit;
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
        }

        remaining = Math.Max(0, Limit - _sum);
        // Full again once the newest entry has left the window.
        if (taken)
        {
            _last = now;
        }

        untilFull = _entries.Count == 0 ? TimeSpan.Zero : window - time.GetElapsedTime(_last, now);
        return taken;
    }

    public override void GiveBack(long amount)
    {
        // The entry just added is the newest; rebuild without it (rare: only when a later limit refuses).
        var kept = _entries.ToArray();
        _entries.Clear();
        for (var i = 0; i < kept.Length - 1; i++)
        {
            _entries.Enqueue(kept[i]);
        }

        _sum -= amount;
        _last = _entries.Count == 0 ? 0 : kept[^2].At;
    }

    public override void Peek(out long remaining, out TimeSpan untilFull)
    {
        remaining = Math.Max(0, Limit - _sum);
        untilFull = _entries.Count == 0 ? TimeSpan.Zero : window - time.GetElapsedTime(_last, time.GetTimestamp());
    }
}

/// <summary>A token bucket refilled continuously: Limit per window, never more than Limit held (Anthropic's documented model).</summary>
internal sealed class ContinuousLimit(long limit, TimeSpan window, TimeProvider time) : ProviderLimit(limit)
{
    private double _level = limit;
    private long _at = time.GetTimestamp();

    private double RefillPerSecond => Limit / window.TotalSeconds;

    public override bool TryTake(long amount, out TimeSpan retryAfter, out long remaining, out TimeSpan untilFull)
    {
        var now = time.GetTimestamp();
        _level = Math.Min(Limit, _level + (RefillPerSecond * time.GetElapsedTime(_at, now).TotalSeconds));
        _at = now;
        var taken = _level >= amount;
        if (taken)
        {
            _level -= amount;
        }

        retryAfter = taken ? TimeSpan.Zero : TimeSpan.FromSeconds((amount - _level) / RefillPerSecond);
        remaining = (long)Math.Floor(_level);
        untilFull = TimeSpan.FromSeconds((Limit - _level) / RefillPerSecond);
        return taken;
    }

    public override void GiveBack(long amount) => _level += amount;

    public override void Peek(out long remaining, out TimeSpan untilFull)
    {
        remaining = (long)Math.Floor(_level);
        untilFull = TimeSpan.FromSeconds((Limit - _level) / RefillPerSecond);
    }

    public override void Scale(double factor)
    {
        base.Scale(factor);
        _level = Math.Min(_level, Limit);
    }
}
