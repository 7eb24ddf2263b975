namespace Tem.Execution;

/// <summary>
/// How many handlers may run at once, TCP-style. Slow start: from a few, one more per success (doubling per round,
/// and at least every 100 ms without a refusal) up to the threshold; then one more per round. A concurrency refusal sets the window just below the number of
/// requests that were in flight when the refused one left (the provider's cap is below that, never further), an
/// overload cuts it by 30% at most once a second (a burst of refusals from requests already in flight is one
/// signal, as TCP ignores losses within one round trip), and a pause restarts slowly so the full concurrency does
/// not burst out into a limit that admits a fraction.
/// </summary>
internal sealed class AdaptiveConcurrency(int maximum, bool enabled, TimeProvider time)
{
    private const int Initial = 4;
    private static readonly TimeSpan CoolDown = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DoublingTime = TimeSpan.FromMilliseconds(100);
    private readonly object _lock = new();
    private double _window = enabled ? Math.Min(maximum, Initial) : maximum;
    private double _threshold = maximum;
    private double _ceiling = double.MaxValue;
    private long _lastDecrease = long.MinValue;
    private long _lastGrowth = long.MinValue;

    public int Current
    {
        get
        {
            lock (_lock)
            {
                // Slow start doubles per round of successes, or every DoublingTime without a refusal, whichever is
                // sooner: handlers that take a minute must not spend minutes below their concurrency.
                if (_window < _threshold)
                {
                    var now = time.GetTimestamp();
                    if (_lastGrowth == long.MinValue)
                    {
                        _lastGrowth = now;
                    }
                    else if (time.GetElapsedTime(_lastGrowth, now) >= DoublingTime)
                    {
                        _lastGrowth = now;
                        _window = Math.Min(_threshold, _window * 2);
                    }
                }

                return Math.Max(1, (int)_window);
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
            // Past a cap the provider enforced, probe upward only a twentieth as fast: the cap rarely moves.
            var step = _window < _threshold ? 1 : _window >= _ceiling ? 0.05 / Math.Max(1.0, _window) : 1.0 / Math.Max(1.0, _window);
            _window = Math.Min(maximum, _window + step);
        }
    }

    /// <summary>A concurrency refusal of a request that left with <paramref name="inFlightAtSend"/> requests in flight (0: unknown).</summary>
    public void OnConcurrencyRefused(int inFlightAtSend)
    {
        if (!enabled)
        {
            return;
        }

        if (inFlightAtSend <= 0)
        {
            OnOverload();
            return;
        }

        lock (_lock)
        {
            _window = Math.Max(1, Math.Min(_window, inFlightAtSend - 1));
            _threshold = _window;
            _ceiling = _window;
        }
    }

    public void OnOverload()
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
            _window = Math.Max(1.0, _window * 0.7);
            _threshold = _window;
        }
    }

    /// <summary>After a pause: start again from a few and double back up to where it was.</summary>
    public void Restart()
    {
        if (!enabled)
        {
            return;
        }

        lock (_lock)
        {
            _threshold = Math.Max(_window, 1);
            _window = Math.Min(_window, Initial);
            _lastGrowth = time.GetTimestamp();
        }
    }
}
