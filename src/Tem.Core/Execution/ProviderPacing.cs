namespace Tem.Execution;

/// <summary>
/// What decides how fast a worker starts tasks: the configured windows of <see cref="TemOptions.RateLimit"/>
/// (<see cref="StartRateGate"/>, <see cref="TokenBudget"/>, even spreading), the concurrency window
/// (<see cref="AdaptiveConcurrency"/>), and pauses. What a provider advertises and refuses is learned per limit group
/// by <see cref="ProviderLimits"/>, at each call; only a refusal no group saw (a handler's own <see cref="RetryAfterException"/>)
/// pauses the worker and teaches its own <see cref="AdaptiveRate"/>. The worker asks how many may start
/// (<see cref="Concurrency"/>, <see cref="TryAcquire"/>, <see cref="Refund"/>) and reports how runs ended
/// (<see cref="OnSucceeded"/>, <see cref="OnRefused"/>); <see cref="TaskContext"/> logs starts in <see cref="Gate"/>.
/// </summary>
internal sealed class ProviderPacing
{
    private static readonly TimeSpan BackoffBase = TimeSpan.FromMilliseconds(200);
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxPause;
    private readonly bool _adaptive;
    private readonly AdaptiveConcurrency _concurrency;
    private readonly AdaptiveRate _rate = new();
    private readonly StartSpacing _evenSpacing = new();
    private readonly double _evenRate;
    private int _unadvisedStreak;
    private double _backoffUntil;

    /// <param name="options">The engine's options.</param>
    /// <param name="time">The clock.</param>
    public ProviderPacing(TemOptions options, TimeProvider time)
    {
        _time = time;
        _maxPause = options.MaxRetryAfter;
        var limits = options.RateLimit;
        // Adaptive unless the user said otherwise; with limits configured, only when asked.
        _adaptive = options.AdaptiveConcurrency ?? limits is null;
        var margin = limits?.SafetyMargin ?? TimeSpan.Zero;
        Gate = new StartRateGate(limits?.AllWindows() ?? [], margin, time);
        Tokens = new TokenBudget(limits?.AllTokenWindows() ?? [], margin, time);
        _concurrency = new AdaptiveConcurrency(options.Concurrency, _adaptive, time);
        if (limits?.Pacing == RatePacing.Even)
        {
            var windows = limits.AllWindows();
            _evenRate = windows.Count == 0 ? 0 : windows.Min(w => w.Permits / w.Window.TotalSeconds);
        }
    }

    /// <summary>The configured start windows; <see cref="TaskContext"/> restamps its permit here.</summary>
    public StartRateGate Gate { get; }

    /// <summary>The configured token windows.</summary>
    public TokenBudget Tokens { get; }

    /// <summary>Tells the other engines sharing the limit (<see cref="SharedRateGate.Pause"/>) of every pause; null when it is not shared.</summary>
    public Action<TimeSpan>? SharedPause { get; set; }

    /// <summary>How many handlers may run at once now.</summary>
    public int Concurrency => _concurrency.Current;

    /// <summary>Grants up to <paramref name="wanted"/> starts now (see <see cref="StartRateGate.TryAcquire"/>).</summary>
    public int TryAcquire(int wanted, List<RateTicket> tickets, out TimeSpan retryIn)
    {
        lock (_lock)
        {
            var now = Now();
            var allowed = wanted;
            var wait = 0.0;
            Narrow(ref allowed, ref wait, _rate.Allow(now, out var w3), w3);
            Narrow(ref allowed, ref wait, _evenSpacing.Allow(now, _evenRate, 1, out var w4), w4);
            if (allowed <= 0)
            {
                retryIn = TimeSpan.FromSeconds(Math.Clamp(wait, 0.001, 60));
                return 0;
            }

            var granted = Gate.TryAcquire(allowed, tickets, out retryIn);
            if (granted > 0)
            {
                _rate.Take(now, granted);
                _evenSpacing.Take(now, _evenRate, granted);
            }

            return granted;
        }
    }

    /// <summary>Returns permits no task used.</summary>
    public void Refund(IReadOnlyList<RateTicket> unused)
    {
        if (unused.Count == 0)
        {
            return;
        }

        Gate.Refund(unused);
    }

    /// <summary>A run completed.</summary>
    public void OnSucceeded()
    {
        _concurrency.OnSuccess();
        lock (_lock)
        {
            _unadvisedStreak = 0;
            if (_adaptive)
            {
                _rate.OnSucceeded(Now());
            }
        }
    }

    /// <summary>Starts nothing for <paramref name="delay"/> (capped by <see cref="TemOptions.MaxRetryAfter"/>), then restarts slowly.</summary>
    public void Pause(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            Gate.Pause(delay < _maxPause ? delay : _maxPause);
            SharedPause?.Invoke(delay < _maxPause ? delay : _maxPause);
            _concurrency.Restart();
        }
    }

    /// <summary>
    /// A run was refused by the provider: slows down as the refusal's kind says and returns how long the refused
    /// task waits before it runs again. <paramref name="deferrals"/> is how often the task was deferred before.
    /// </summary>
    public TimeSpan OnRefused(RetryAfterException refusal, int deferrals)
    {
        TimeSpan wait;
        switch (refusal.Kind)
        {
            case ProviderRefusalKind.Concurrency:
                _concurrency.OnConcurrencyRefused(refusal.InFlightAtSend);
                // A slot frees as soon as one of ours finishes: retry soon, within what the provider advised.
                wait = Backoff(TimeSpan.FromMilliseconds(50), deferrals);
                wait = refusal.IsAdvised && refusal.RetryAfter < wait ? refusal.RetryAfter : wait;
                break;
            case ProviderRefusalKind.Overload:
                _concurrency.OnOverload();
                wait = refusal.IsAdvised ? refusal.RetryAfter : Backoff(TimeSpan.FromMilliseconds(100), deferrals);
                break;
            default:
                if (refusal.GroupWait is { } groupWait)
                {
                    // Charged to its limit group, which paused itself: the other groups go on, and so do the starts.
                    wait = groupWait;
                    break;
                }

                lock (_lock)
                {
                    var now = Now();
                    if (_adaptive)
                    {
                        _rate.OnRateLimited(now);
                    }

                    if (refusal.IsAdvised)
                    {
                        wait = refusal.RetryAfter;
                    }
                    else if (now < _backoffUntil)
                    {
                        // Sent before the current backoff began: the same signal, not a longer one.
                        wait = TimeSpan.FromSeconds(_backoffUntil - now);
                    }
                    else
                    {
                        wait = Backoff(BackoffBase, _unadvisedStreak++);
                        _backoffUntil = now + wait.TotalSeconds;
                    }
                }

                Pause(wait);
                break;
        }

        return wait < _maxPause ? wait : _maxPause;
    }

    /// <summary>For tests and diagnostics: what the pacing believes.</summary>
    public override string ToString()
    {
        lock (_lock)
        {
            return $"concurrency {Concurrency}; learned rate {_rate.Rate:0.##}/s";
        }
    }

    private static TimeSpan Backoff(TimeSpan first, int step)
        => TimeSpan.FromMilliseconds(first.TotalMilliseconds * Math.Pow(2, Math.Clamp(step, 0, 16)) * (0.75 + (0.25 * Random.Shared.NextDouble())));

    private static void Narrow(ref int allowed, ref double wait, int limit, double limitWait)
    {
        if (limit < allowed)
        {
            allowed = limit;
        }

        if (limit <= 0)
        {
            wait = Math.Max(wait, limitWait);
        }
    }

    private double Now() => _time.GetTimestamp() / (double)_time.TimestampFrequency;
}
