namespace Tem.Execution;

/// <summary>
/// Weighted sliding windows, such as a provider's tokens per minute: a reservation of n tokens waits
/// until every window has room for all n, then records them. Waiters are served one at a time, in order,
/// so a large reservation is not starved by small ones.
/// </summary>
internal sealed class TokenBudget
{
    private readonly Window[] _windows;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly object _lock = new();

    public TokenBudget(IReadOnlyList<RateLimitWindow> windows, TimeProvider time)
    {
        _time = time;
        _windows = windows.Select(w => new Window(w.Permits, (long)((w.Window + StartRateGate.SafetyMargin).TotalSeconds * time.TimestampFrequency))).ToArray();
    }

    public bool IsUnlimited => _windows.Length == 0;

    public async ValueTask ReserveAsync(int tokens, CancellationToken cancellationToken)
    {
        if (tokens <= 0 || _windows.Length == 0)
        {
            return;
        }

        foreach (var window in _windows)
        {
            if (tokens > window.Limit)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens,
                    $"A reservation of {tokens} tokens can never fit a window of {window.Limit}; split the request or raise the token limit.");
            }
        }

        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (_lock)
                {
                    var now = _time.GetTimestamp();
                    var waitTicks = 0L;
                    foreach (var window in _windows)
                    {
                        waitTicks = Math.Max(waitTicks, window.TicksUntilRoom(now, tokens));
                    }

                    if (waitTicks == 0)
                    {
                        foreach (var window in _windows)
                        {
                            window.Add(now, tokens);
                        }

                        return;
                    }

                    wait = TimeSpan.FromSeconds((double)waitTicks / _time.TimestampFrequency) + TimeSpan.FromMilliseconds(1);
                }

                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private sealed class Window(long limit, long lengthTicks)
    {
        private readonly Queue<(long At, long Amount)> _entries = new();
        private long _sum;

        public long Limit { get; } = limit;

        public long TicksUntilRoom(long now, long amount)
        {
            while (_entries.Count > 0 && _entries.Peek().At + lengthTicks <= now)
            {
                _sum -= _entries.Dequeue().Amount;
            }

            var excess = _sum + amount - Limit;
            if (excess <= 0)
            {
                return 0;
            }

            foreach (var (at, value) in _entries)
            {
                excess -= value;
                if (excess <= 0)
                {
                    return at + lengthTicks - now;
                }
            }

            return lengthTicks;
        }

        public void Add(long now, long amount)
        {
            _entries.Enqueue((now, amount));
            _sum += amount;
        }
    }
}
