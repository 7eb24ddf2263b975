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
    private readonly object _lock = new();
    private readonly Window[] _windows;
    private readonly TimeProvider _time;
    private long _pausedUntil;

    /// <param name="windows">The limits.</param>
    /// <param name="safetyMargin">How much longer each window is counted (see <see cref="RateLimitOptions.SafetyMargin"/>).</param>
    /// <param name="time">The clock.</param>
    public StartRateGate(IReadOnlyList<RateLimitWindow> windows, TimeSpan safetyMargin, TimeProvider time)
    {
        _time = time;
        _windows = windows.Select(w => new Window(w.Permits, ToTicks(w.Window + safetyMargin, time))).ToArray();
    }

    public bool IsUnlimited => _windows.Length == 0;

    /// <summary>
    /// Grants up to <paramref name="wanted"/> starts now, adding one ticket per start to <paramref name="tickets"/>.
    /// A granted start is reserved — it holds its place and cannot expire — until <see cref="Start"/> logs it.
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
                var free = window.Limit - window.Count - window.Reserved;
                if (free <= 0)
                {
                    // Only logged starts expire; reservations clear as soon as their handlers start.
                    earliest = Math.Min(earliest, window.Count > 0 ? window.OldestExpiry : now + ToTicks(TimeSpan.FromMilliseconds(5), _time));
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
                window.Reserved += granted;
            }

            for (var i = 0; i < granted; i++)
            {
                tickets.Add(IsUnlimited ? RateTicket.None : new RateTicket(_windows.Length));
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
                if (ticket.IsNone)
                {
                    continue;
                }

                for (var i = 0; i < _windows.Length; i++)
                {
                    if (ticket.IsReserved)
                    {
                        _windows[i].Reserved--;
                    }
                    else
                    {
                        ticket.Entries[i]?.List?.Remove(ticket.Entries[i]!);
                    }
                }

                ticket.IsReserved = false;
            }
        }
    }

    /// <summary>Logs a reserved start at now: its handler starts.</summary>
    public void Start(RateTicket ticket)
    {
        if (ticket.IsNone || !ticket.IsReserved)
        {
            return;
        }

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            for (var i = 0; i < _windows.Length; i++)
            {
                _windows[i].Reserved--;
                ticket.Entries[i] = _windows[i].Add(now);
            }

            ticket.IsReserved = false;
        }
    }

    /// <summary>Moves a start to now: its request is leaving only now. An entry that already expired is logged again.</summary>
    public void Restamp(RateTicket ticket)
    {
        if (ticket.IsNone)
        {
            return;
        }

        if (ticket.IsReserved)
        {
            Start(ticket);
            return;
        }

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            for (var i = 0; i < _windows.Length; i++)
            {
                if (ticket.Entries[i] is { List: { } list } entry)
                {
                    list.Remove(entry);
                }

                // Every logged time is at most now, so appending keeps the log in order.
                ticket.Entries[i] = _windows[i].Add(now);
            }
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

    /// <summary>The logged starts inside one window, oldest first, and the granted starts not yet logged.</summary>
    private sealed class Window(int limit, long lengthTicks)
    {
        private readonly LinkedList<long> _starts = new();

        public int Limit { get; } = limit;

        public int Count => _starts.Count;

        public int Reserved { get; set; }

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

/// <summary>One granted start: reserved until its handler starts, then its entry in each window's log.</summary>
internal sealed class RateTicket(int windows)
{
    public static readonly RateTicket None = new(0);

    public bool IsNone => Entries.Length == 0;

    public bool IsReserved { get; set; } = windows > 0;

    public LinkedListNode<long>?[] Entries { get; } = new LinkedListNode<long>?[windows];
}
