namespace Tem.Execution;

/// <summary>
/// Weighted sliding windows, such as a provider's tokens per minute: a reservation of n tokens waits
/// until every window has room for all n, then records them. Waiters are served one at a time, in order,
/// so a large reservation is not starved by small ones. Like <see cref="StartRateGate"/>, a reservation is
/// moved to the moment its request leaves (<see cref="Restamp"/>).
/// </summary>
internal sealed class TokenBudget
{
    private readonly Window[] _windows;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly object _lock = new();

    public TokenBudget(IReadOnlyList<RateLimitWindow> windows, TimeSpan safetyMargin, TimeProvider time)
    {
        _time = time;
        _windows = windows.Select(w => new Window(w.Permits, StartRateGate.ToTicks(w.Window + safetyMargin, time))).ToArray();
    }

    public bool IsUnlimited => _windows.Length == 0;

    /// <summary>The token windows shared with other engines, asked after this process's own; null when not shared.</summary>
    public SharedRateGate? Shared { get; set; }

    public async ValueTask<TokenTicket> ReserveAsync(int tokens, CancellationToken cancellationToken)
    {
        if (tokens <= 0 || _windows.Length == 0)
        {
            return default;
        }

        foreach (var window in _windows)
        {
            if (tokens > window.Limit)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens,
                    $"A reservation of {tokens} tokens can never fit a window of {window.Limit}; split the request or raise the token limit.");
            }
        }

        var ticket = await ReserveLocalAsync(tokens, cancellationToken).ConfigureAwait(false);
        if (Shared is { } shared)
        {
            await shared.ReserveTokensAsync(tokens, cancellationToken).ConfigureAwait(false);
        }

        return ticket;
    }

    private async ValueTask<TokenTicket> ReserveLocalAsync(int tokens, CancellationToken cancellationToken)
    {
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
                        return new TokenTicket(_windows.Select(w => (w, w.Add(now, tokens))).ToArray());
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

    public void Restamp(TokenTicket ticket)
    {
        lock (_lock)
        {
            ticket.MoveTo(_time.GetTimestamp());
        }
    }

    internal sealed class Window(long limit, long lengthTicks)
    {
        private readonly LinkedList<(long At, long Amount)> _entries = new();
        private long _sum;

        public long Limit { get; } = limit;

        public long TicksUntilRoom(long now, long amount)
        {
            while (_entries.First is { } oldest && oldest.Value.At + lengthTicks <= now)
            {
                _sum -= oldest.Value.Amount;
                _entries.RemoveFirst();
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

        public LinkedListNode<(long At, long Amount)> Add(long now, long amount)
        {
            _sum += amount;
            return _entries.AddLast((now, amount));
        }
    }
}

/// <summary>One reservation: its entry in each token window.</summary>
internal readonly struct TokenTicket((TokenBudget.Window Window, LinkedListNode<(long At, long Amount)> Entry)[]? entries)
{
    public bool IsNone => entries is null;

    internal void MoveTo(long now)
    {
        foreach (var (_, entry) in entries ?? [])
        {
            if (entry.List is { } list)
            {
                list.Remove(entry);
                entry.Value = (now, entry.Value.Amount);
                list.AddLast(entry);
            }
        }
    }
}
