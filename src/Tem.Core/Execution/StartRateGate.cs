using System.Diagnostics;

namespace Tem.Execution;

/// <summary>
/// Grants task starts under any number of sliding windows, exactly: a start is allowed only if each
/// window's log of recent starts has room, so no window of that length, wherever it is placed, ever
/// holds more starts than its limit. (System.Threading.RateLimiting's window limiters count in fixed
/// segments and its token bucket allows a burst on top of the refill, so neither can promise that.)
/// Permits granted for tasks that then turned out not to exist are refunded. A provider's Retry-After
/// pauses all starts.
/// </summary>
internal sealed class StartRateGate
{
    /// <summary>Each window is counted as this much longer, so that the small, varying delay between a
    /// permit and the handler's first request cannot let the provider see more starts than the limit.</summary>
    internal static readonly TimeSpan SafetyMargin = TimeSpan.FromMilliseconds(10);

    private readonly object _lock = new();
    private readonly Window[] _windows;
    private readonly TimeProvider _time;
    private long _pausedUntil;

    public StartRateGate(IReadOnlyList<RateLimitWindow> windows, TimeProvider time)
    {
        _time = time;
        _windows = windows.Select(w => new Window(w.Permits, ToTicks(w.Window + SafetyMargin))).ToArray();
    }

    public bool IsUnlimited => _windows.Length == 0;

    /// <summary>Grants up to <paramref name="wanted"/> starts now. When it grants none, <paramref name="retryIn"/> says when one may be.</summary>
    public int TryAcquire(int wanted, out TimeSpan retryIn)
    {
        retryIn = TimeSpan.Zero;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (now < _pausedUntil)
            {
                retryIn = _time.GetElapsedTime(now, _pausedUntil);
                return 0;
            }

            var granted = wanted;
            long earliest = long.MaxValue;
            foreach (var window in _windows)
            {
                window.Evict(now);
                var free = window.Limit - window.Count;
                if (free <= 0)
                {
                    earliest = Math.Min(earliest, window.OldestExpiry);
                }

                granted = Math.Min(granted, free);
            }

            if (granted <= 0)
            {
                retryIn = earliest == long.MaxValue ? TimeSpan.FromMilliseconds(1) : _time.GetElapsedTime(now, earliest) + TimeSpan.FromMilliseconds(1);
                return 0;
            }

            foreach (var window in _windows)
            {
                window.Add(now, granted);
            }

            return granted;
        }
    }

    /// <summary>Returns the most recent <paramref name="count"/> grants, which no task used.</summary>
    public void Refund(int count)
    {
        if (count <= 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var window in _windows)
            {
                window.RemoveNewest(count);
            }
        }
    }

    /// <summary>Grants nothing for <paramref name="delay"/> (a provider's Retry-After).</summary>
    public void Pause(TimeSpan delay)
    {
        lock (_lock)
        {
            _pausedUntil = Math.Max(_pausedUntil, _time.GetTimestamp() + ToTicks(delay));
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>A ring buffer of the start times inside one window; it never holds more than the limit.</summary>
    private sealed class Window(int limit, long lengthTicks)
    {
        private readonly long[] _starts = new long[limit];
        private int _head;

        public int Limit { get; } = limit;

        public int Count { get; private set; }

        public long OldestExpiry => _starts[_head] + lengthTicks;

        public void Evict(long now)
        {
            while (Count > 0 && _starts[_head] + lengthTicks <= now)
            {
                _head = (_head + 1) % Limit;
                Count--;
            }
        }

        public void Add(long now, int count)
        {
            Debug.Assert(Count + count <= Limit);
            for (var i = 0; i < count; i++)
            {
                _starts[(_head + Count) % Limit] = now;
                Count++;
            }
        }

        public void RemoveNewest(int count) => Count = Math.Max(0, Count - count);
    }
}
