namespace Tem.Execution;

/// <summary>
/// Grants task starts under any number of sliding windows, exactly: a start is allowed only if each
/// window's log of recent starts has room, so no window of that length, wherever it is placed, ever
/// holds more starts than its limit. (System.Threading.RateLimiting's window limiters count in fixed
/// segments and its token bucket allows a burst on top of the refill, so neither can promise that.)
/// Permits granted for tasks that then turned out not to exist are refunded. A provider's Retry-After
/// pauses all starts.
/// </summary>
/// <remarks>
/// A provider counts a request when it arrives, which can be well after the permit (a cold connection,
/// a busy machine). When the handler's request actually leaves through <see cref="ProviderRateLimitHandler"/>,
/// its permit is moved to that moment (<see cref="Restamp"/>): later, never earlier, so the log stays
/// conservative and the provider never sees more than the limit.
/// </remarks>
internal sealed class StartRateGate
{
    /// <summary>Each window is counted as this much longer, to absorb the remaining jitter between the request
    /// leaving and the provider's clock.</summary>
    internal static readonly TimeSpan SafetyMargin = TimeSpan.FromMilliseconds(10);

    private readonly object _lock = new();
    private readonly Window[] _windows;
    private readonly TimeProvider _time;
    private long _pausedUntil;

    public StartRateGate(IReadOnlyList<RateLimitWindow> windows, TimeProvider time)
    {
        _time = time;
        _windows = windows.Select(w => new Window(w.Permits, ToTicks(w.Window + SafetyMargin, time))).ToArray();
    }

    public bool IsUnlimited => _windows.Length == 0;

    /// <summary>
    /// Grants up to <paramref name="wanted"/> starts now, adding one ticket per start to <paramref name="tickets"/>.
    /// When it grants none, <paramref name="retryIn"/> says when one may be.
    /// </summary>
    public int TryAcquire(int wanted, List<RateTicket> tickets, out TimeSpan retryIn)
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
            var earliest = long.MaxValue;
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

            for (var i = 0; i < granted; i++)
            {
                tickets.Add(IsUnlimited ? RateTicket.None : new RateTicket(_windows.Select(w => w.Add(now)).ToArray()));
            }

            return granted;
        }
    }

    /// <summary>Returns permits that no task used.</summary>
    public void Refund(IEnumerable<RateTicket> unused)
    {
        lock (_lock)
        {
            foreach (var ticket in unused)
            {
                ticket.Remove();
            }
        }
    }

    /// <summary>Moves a start to now: its request is leaving only now.</summary>
    public void Restamp(RateTicket ticket)
    {
        if (ticket.IsNone)
        {
            return;
        }

        lock (_lock)
        {
            ticket.MoveTo(_time.GetTimestamp());
        }
    }

    /// <summary>Grants nothing for <paramref name="delay"/> (a provider's Retry-After).</summary>
    public void Pause(TimeSpan delay)
    {
        lock (_lock)
        {
            _pausedUntil = Math.Max(_pausedUntil, _time.GetTimestamp() + ToTicks(delay, _time));
        }
    }

    internal static long ToTicks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>The recent starts inside one window, oldest first; never more than the limit.</summary>
    private sealed class Window(int limit, long lengthTicks)
    {
        private readonly LinkedList<long> _starts = new();

        public int Limit { get; } = limit;

        public int Count => _starts.Count;

        public long OldestExpiry => _starts.First!.Value + lengthTicks;

        public void Evict(long now)
        {
            while (_starts.First is { } oldest && oldest.Value + lengthTicks <= now)
            {
                _starts.RemoveFirst();
            }
        }

        public LinkedListNode<long> Add(long now) => _starts.AddLast(now);
    }
}

/// <summary>One granted start: its entry in each window, so it can be refunded or moved later.</summary>
internal readonly struct RateTicket(LinkedListNode<long>[]? entries)
{
    public static RateTicket None => default;

    public bool IsNone => entries is null;

    internal void Remove()
    {
        foreach (var entry in entries ?? [])
        {
            entry.List?.Remove(entry);
        }
    }

    /// <summary>Moves each entry still in its window to the end with time <paramref name="now"/>, which no entry exceeds.</summary>
    internal void MoveTo(long now)
    {
        foreach (var entry in entries ?? [])
        {
            if (entry.List is { } list)
            {
                list.Remove(entry);
                entry.Value = now;
                list.AddLast(entry);
            }
        }
    }
}
