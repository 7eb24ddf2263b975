namespace Tem.Execution;

/// <summary>
/// Tells how long ago, on this process's monotonic clock, the store made a grant it stamped on its own clock (the
/// database's, possibly on another machine). Every grant answers a request sent at a known local time, and was made
/// no earlier than that, so <c>grant time − send time</c> is at least the store clock's lead over ours; the smallest
/// such sample is the tightest bound. An age computed with it is never less than the real age — only longer by the
/// fastest request's delay — and, unlike the time since the request was sent, it leaves out time spent waiting for
/// the bucket's lock or for the connection before the grant was made. The bound is taken afresh every 30 seconds, so
/// a step of the database's clock is forgotten soon.
/// </summary>
internal sealed class GrantClock(TimeProvider time)
{
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(30);
    private readonly object _lock = new();
    private long _leadMs = long.MaxValue;
    private long _leadTakenAt;

    /// <summary>This process's clock now, in milliseconds.</summary>
    public long NowMs() => (long)(time.GetTimestamp() * 1000.0 / time.TimestampFrequency);

    /// <summary>A grant stamped <paramref name="grantedAtMs"/> answered a request sent at <paramref name="askedAtMs"/> (<see cref="NowMs"/>).</summary>
    public void Observe(long askedAtMs, long grantedAtMs)
    {
        var lead = grantedAtMs - askedAtMs;
        lock (_lock)
        {
            if (lead < _leadMs || time.GetElapsedTime(_leadTakenAt) > Renewal)
            {
                _leadMs = lead;
                _leadTakenAt = time.GetTimestamp();
            }
        }
    }

    /// <summary>How long ago the grant stamped <paramref name="grantedAtMs"/> was made, at least; call <see cref="Observe"/> for it first.</summary>
    public TimeSpan AgeOf(long grantedAtMs)
    {
        long lead;
        lock (_lock)
        {
            lead = _leadMs;
        }

        return TimeSpan.FromMilliseconds(NowMs() - (grantedAtMs - lead));
    }
}
