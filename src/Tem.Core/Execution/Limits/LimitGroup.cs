using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// The pacing state of one limit group (<see cref="LimitGroupKey"/>), learned from that group's responses only: the
/// limits it advertises, each its own <see cref="LearnedLimit"/> (requests, tokens, input and output tokens), what a
/// request is charged in tokens (<see cref="TokenCharge"/>), the start rate learned from bare refusals
/// (<see cref="AdaptiveRate"/>), its configured windows, and its Retry-After pause. A permit is granted when the call
/// leaves; waiters are served one at a time, in order. A refusal is charged only to the limit that caused it.
/// Configured with a <see cref="RateLimitOptions.SharedName"/>, the group also takes each start from the store and
/// writes its Retry-After pause there (<see cref="SharedStore"/>), so every process on the database keeps to both;
/// what it learned from headers stays in this process.
/// </summary>
internal sealed partial class LimitGroup
{
    private static readonly LimitKind[] Kinds = [LimitKind.Requests, LimitKind.Tokens, LimitKind.InputTokens, LimitKind.OutputTokens];
    private static readonly TimeSpan BackoffBase = TimeSpan.FromMilliseconds(200);
    private readonly object _lock = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxPause;
    private readonly bool _learnRate;
    private readonly StartRateGate? _configured;
    private readonly TokenBudget? _configuredTokens;
    private readonly StartSpacing _evenSpacing = new();
    private readonly double _evenRate;
    private readonly LearnedLimit[] _limits = [new("requests"), new("tokens"), new("input-tokens"), new("output-tokens")];
    private readonly TokenCharge[] _charges = [new(), new(), new(), new()];
    private readonly double[] _issued = new double[AdvertisedLimits.Kinds];
    private readonly AdaptiveRate _rate = new();
    private readonly List<RateTicket> _tickets = [];
    private double _pausedUntil = double.MinValue;
    private int _inFlight;
    private long _granted;
    private long _refusals;
    private int _unadvisedStreak;
    private double _backoffUntil = double.MinValue;
    private readonly SharedRateLimit? _shared;
    private int _waiting;
    private long _lastGrantTicks = long.MinValue;

    public LimitGroup(LimitGroupKey key, RateLimitOptions? configured, ProviderLimitsOptions options, TimeProvider time)
    {
        Key = key;
        _time = time;
        _maxPause = options.MaxRetryAfter;
        _learnRate = options.LearnFromBareRefusals && configured is null;
        Configured = configured;
        if (configured is not null)
        {
            var windows = configured.AllWindows();
            _configured = windows.Count > 0 ? new StartRateGate(windows, configured.SafetyMargin, time) : null;
            _shared = configured.SharedName is not null ? SharedRateLimit.Of(configured, configured.SafetyMargin + configured.SharedGrantMargin) : null;
            var tokens = configured.AllTokenWindows();
            _configuredTokens = tokens.Count > 0 ? new TokenBudget(tokens, configured.SafetyMargin, time) : null;
            if (configured.Pacing == RatePacing.Even)
            {
                foreach (var limit in _limits)
                {
                    limit.Even = true;
                }

                _evenRate = windows.Count == 0 ? 0 : windows.Min(w => w.Permits / w.Window.TotalSeconds);
            }
        }
    }

    public LimitGroupKey Key { get; }

    /// <summary>
    /// Where a group configured with <see cref="RateLimitOptions.SharedName"/> shares its configured windows and its
    /// Retry-After pause with every process on the database (the engine's store, once one is open); null keeps them here.
    /// </summary>
    internal Func<ITemStore?>? SharedStore { get; init; }

    /// <summary>The group's configured limits, or null.</summary>
    public RateLimitOptions? Configured { get; }

    public DateTimeOffset UtcNow() => _time.GetUtcNow();

    /// <summary>Waits until every limit of the group has room for <paramref name="permit"/>'s call, then grants it.</summary>
    public async ValueTask AcquireAsync(ProviderCallPermit permit, CancellationToken cancellationToken)
    {
        // Before anything is reserved: a slower group's waiters must not hold the slots a faster group needs (LimitGroup.HandBack.cs).
        if (HandBackWait() is { } handBack)
        {
            throw new LimitGroupHandBackException(Key, handBack);
        }

        if (_configuredTokens is not null && permit.Cost.TotalTokens > 0)
        {
            await _configuredTokens.ReserveAsync((int)Math.Min(int.MaxValue, permit.Cost.TotalTokens), cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _waiting);
        try
        {
            await AcquireInTurnAsync(permit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        if (TaskContext.Current.Value is { } task)
        {
            task.CallGranted = true;
        }
    }

    private async ValueTask AcquireInTurnAsync(ProviderCallPermit permit, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_shared is not null && SharedStore?.Invoke() is { } store)
            {
                // First the store's grant, on its clock: the windows every process counts, and a pause any of them set.
                while (true)
                {
                    var grant = await store.AcquireSharedStartsAsync(_shared, 1, null, cancellationToken).ConfigureAwait(false);
                    if (grant.Granted > 0)
                    {
                        break;
                    }

                    await Task.Delay(grant.RetryIn, _time, cancellationToken).ConfigureAwait(false);
                }
            }

            while (true)
            {
                double wait;
                lock (_lock)
                {
                    if (TryGrant(permit, out wait))
                    {
                        return;
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(wait, 0.001, 60)), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private bool TryGrant(ProviderCallPermit permit, out double wait)
    {
        var now = Now();
        wait = 0;
        if (now < _pausedUntil)
        {
            wait = _pausedUntil - now;
            return false;
        }

        foreach (var kind in Kinds)
        {
            if (_limits[(int)kind].Allow(now, _issued[(int)kind], CostOf(kind, permit.Cost), out var w) <= 0)
            {
                wait = Math.Max(wait, w);
            }
        }

        if (_learnRate && _rate.Allow(now, out var rateWait) <= 0)
        {
            wait = Math.Max(wait, rateWait);
        }

        if (_evenSpacing.Allow(now, _evenRate, 1, out var evenWait) <= 0)
        {
            wait = Math.Max(wait, evenWait);
        }

        if (wait > 0)
        {
            return false;
        }

        if (_configured is not null)
        {
            _tickets.Clear();
            if (_configured.TryAcquire(1, _tickets, out var retryIn) == 0)
            {
                wait = retryIn.TotalSeconds;
                return false;
            }

            _configured.Start(_tickets[0]); // the call leaves now: its start is logged now
        }

        foreach (var kind in Kinds)
        {
            var cost = CostOf(kind, permit.Cost);
            _issued[(int)kind] += cost;
            _limits[(int)kind].Take(now, cost, 1);
        }

        _rate.Take(now, 1);
        _evenSpacing.Take(now, _evenRate, 1);
        _granted++;
        Interlocked.Exchange(ref _lastGrantTicks, _time.GetTimestamp());
        permit.OnGranted(new IssueMark(_issued[0], _issued[1], _issued[2], _issued[3]), ++_inFlight);
        return true;
    }

    /// <summary>A response to <paramref name="permit"/>'s call advertised <paramref name="limits"/>.</summary>
    public void Observe(ProviderCallPermit permit, AdvertisedLimits limits)
    {
        if (limits.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            var now = Now();
            foreach (var kind in Kinds)
            {
                if (limits[kind] is not { } advertised)
                {
                    continue;
                }

                var limit = _limits[(int)kind];
                if (kind != LimitKind.Requests)
                {
                    _charges[(int)kind].OnReported(advertised, now, permit.Mark.Requests, limit.RefillPerSecond);
                }

                limit.Observe(advertised, now, permit.Mark[kind]);
            }
        }
    }

    public void OnCompleted(ProviderCallPermit permit, long? inputTokens, long? outputTokens)
    {
        lock (_lock)
        {
            _inFlight--;
            _unadvisedStreak = 0;
            if (inputTokens is not null || outputTokens is not null)
            {
                var input = inputTokens ?? 0;
                var output = outputTokens ?? 0;
                _charges[(int)LimitKind.Tokens].OnUsage(input + output);
                _charges[(int)LimitKind.InputTokens].OnUsage(input);
                _charges[(int)LimitKind.OutputTokens].OnUsage(output);
            }

            if (_learnRate)
            {
                _rate.OnSucceeded(Now());
            }

            foreach (var limit in _limits)
            {
                limit.OnSucceeded();
            }
        }
    }

    public void OnReleased(ProviderCallPermit permit)
    {
        lock (_lock)
        {
            _inFlight--;
        }
    }

    /// <summary>Another request left under one permit (a client's own retry): the provider counts it too.</summary>
    public void OnExtraRequest(ProviderCallPermit permit)
    {
        lock (_lock)
        {
            foreach (var kind in Kinds)
            {
                _issued[(int)kind] += CostOf(kind, permit.Cost);
            }
        }
    }

    /// <summary>
    /// The provider refused <paramref name="permit"/>'s call. A rate-limit refusal is charged to the limits that the
    /// refusal's own headers show exhausted (less left than the call's cost); when none is, to the one the body names,
    /// else to the requests limit (enforced over a shorter window than advertised), else to the rate learned from bare
    /// refusals. The others keep their pace. The group then pauses for the Retry-After, or backs off by itself.
    /// </summary>
    public void OnRefused(ProviderCallPermit permit, RetryAfterException refusal, string? body)
    {
        TimeSpan wait;
        lock (_lock)
        {
            _inFlight--;
            if (refusal.Kind != ProviderRefusalKind.RateLimit)
            {
                return; // overload and concurrency are the worker's concurrency window's to handle
            }

            _refusals++;
            var now = Now();
            Charge(permit, now, body);
            if (refusal.IsAdvised)
            {
                wait = refusal.RetryAfter;
            }
            else if (now < _backoffUntil)
            {
                wait = TimeSpan.FromSeconds(_backoffUntil - now); // sent before the current backoff began: the same signal
            }
            else
            {
                wait = TimeSpan.FromMilliseconds(BackoffBase.TotalMilliseconds * Math.Pow(2, Math.Clamp(_unadvisedStreak++, 0, 16)) * (0.75 + (0.25 * Random.Shared.NextDouble())));
                _backoffUntil = now + wait.TotalSeconds;
            }

            wait = wait < _maxPause ? wait : _maxPause;
            _pausedUntil = Math.Max(_pausedUntil, now + wait.TotalSeconds);
        }

        refusal.ChargedTo = Key;
        refusal.GroupWait = wait;
        if (_shared is not null && wait > TimeSpan.Zero && SharedStore?.Invoke() is { } store)
        {
            _ = PauseSharedAsync(store, wait); // every process sharing the name waits too
        }
    }

    /// <summary>Writes the pause to the store in the background: this process has paused already, and a failure only loses the sharing.</summary>
    private async Task PauseSharedAsync(ITemStore store, TimeSpan wait)
    {
        try
        {
            await store.PauseSharedAsync(_shared!, wait, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TemException or InvalidOperationException or ObjectDisposedException)
        {
            // The store closed or failed: the other processes learn of the limit from their own refusals.
        }
    }

    private void Charge(ProviderCallPermit permit, double now, string? body)
    {
        var exhausted = false;
        foreach (var kind in Kinds)
        {
            var limit = _limits[(int)kind];
            var cost = CostOf(kind, permit.Cost);
            if (limit.IsKnown && cost > 0 && limit.Level(now, permit.Mark[kind]) < cost)
            {
                limit.OnExhausted(now, cost);
                exhausted = true;
            }
        }

        if (exhausted)
        {
            return;
        }

        var named = RefusedLimit.Named(body);
        if (named is { } namedKind && namedKind != LimitKind.Requests
            && (_limits[(int)namedKind].IsKnown ? namedKind : Array.Find(Kinds, k => k != LimitKind.Requests && _limits[(int)k].IsKnown)) is var tokenKind
            && tokenKind != LimitKind.Requests)
        {
            _limits[(int)tokenKind].OnShorterWindow(now); // the body names a token limit: the requests limit keeps its pace
        }
        else if (_limits[(int)LimitKind.Requests].IsKnown)
        {
            _limits[(int)LimitKind.Requests].OnShorterWindow(now);
        }
        else if (Array.Find(_limits, l => l.IsKnown) is { } any)
        {
            any.OnShorterWindow(now);
        }
        else if (_learnRate)
        {
            _rate.OnRateLimited(now);
        }
    }

    /// <summary>What the call takes from one limit: one request; its tokens as estimated, or as learned when that is more.</summary>
    private double CostOf(LimitKind kind, CallCost cost) => kind switch
    {
        LimitKind.Requests => 1,
        LimitKind.Tokens => Math.Max(cost.TotalTokens, _charges[(int)kind].PerRequest),
        LimitKind.InputTokens => Math.Max(cost.InputTokens, _charges[(int)kind].PerRequest),
        _ => Math.Max(cost.OutputTokens, _charges[(int)kind].PerRequest),
    };

    public LimitGroupSnapshot Snapshot()
    {
        lock (_lock)
        {
            var now = Now();
            var limits = new List<LimitSnapshot>();
            foreach (var kind in Kinds)
            {
                if (_limits[(int)kind] is { IsKnown: true } limit)
                {
                    limits.Add(new LimitSnapshot(limit.Name, limit.Limit, Math.Max(0, limit.Level(now, _issued[(int)kind])), limit.RefillPerSecond, limit.Refusals));
                }
            }

            foreach (var window in Configured?.AllWindows() ?? [])
            {
                limits.Add(new LimitSnapshot($"configured {window.Permits} per {window.Window.TotalSeconds:0.###} s", window.Permits, double.NaN, window.Permits / window.Window.TotalSeconds, 0));
            }

            DateTimeOffset? pausedUntil = now < _pausedUntil ? _time.GetUtcNow() + TimeSpan.FromSeconds(_pausedUntil - now) : null;
            return new LimitGroupSnapshot(Key, limits, _granted, _inFlight, _refusals, pausedUntil, CostOf(LimitKind.Tokens, default),
                _learnRate && _rate.Rate > 0 ? _rate.Rate : null);
        }
    }

    private double Now() => _time.GetTimestamp() / (double)_time.TimestampFrequency;
}
