namespace Tem.Execution;

/// <summary>
/// One limit the provider advertises (requests or tokens), modelled as its own token bucket: the size it states,
/// the level it last reported less what this client issued since, refilled at the replenishment rate. The rate is
/// learned from "what is missing ÷ time until full" (both OpenAI's and Anthropic's reset mean time until fully
/// replenished), narrowed over many responses, so an exhausted limit is paced at its refill rate instead of pausing until it is full. A lowered
/// limit is adopted at once. After a refusal the model said should not happen (the provider enforces a shorter window
/// than it advertises), starts are spread evenly at a share of the refill rate that shrinks on each further refusal
/// and slowly grows back. A remaining count without a limit is followed until its reset, and then nothing is known.
/// Not thread-safe: <see cref="LimitGroup"/> holds its lock.
/// </summary>
internal sealed class LearnedLimit(string name)
{
    private const double MaxShare = 0.97;
    private const int ConflictsToRestart = 3;
    private const double ShareRegainPerSecond = 0.05;
    private readonly StartSpacing _spacing = new();
    private long _limit;
    private bool _limitStated;     // false when the provider sent a remaining count without a limit
    private double _refill;        // units per second; 0 while unknown
    private double _refillLow;
    private double _refillHigh;
    private int _conflicts;        // responses in a row whose interval missed the narrowed one
    private double _reported;      // remaining as last reported
    private double _reportedAt;    // seconds
    private double _issuedBefore;  // this client's issued count when the reporting request left
    private double _fullAt;        // when the provider said it would be full again
    private double _share = 0.95;
    private double _reserve = 1;    // in units of one start's cost
    private double _lastCut = double.MinValue;

    public string Name => name;

    public bool IsKnown { get; private set; }

    /// <summary>The advertised size; null when only a remaining count was sent.</summary>
    public long? Limit => _limitStated ? _limit : null;

    /// <summary>Refusals charged to this limit.</summary>
    public long Refusals { get; private set; }

    public double RefillPerSecond => _refill;

    /// <summary>Spread starts evenly at the refill rate instead of spending what is left first.</summary>
    public bool Even { get; set; }

    public void Observe(AdvertisedLimit advertised, double now, double issuedBeforeSend)
    {
        if (advertised.Limit is not { } stated)
        {
            // No limit stated: follow the remaining count until its reset; its size stays unknown.
            _limitStated = false;
            _refill = 0;
            _limit = Math.Max(_limit, advertised.Remaining);
            IsKnown = true;
            _reported = advertised.Remaining;
            _reportedAt = now;
            _issuedBefore = issuedBeforeSend;
            _fullAt = now + (advertised.UntilFull?.TotalSeconds ?? 1);
            return;
        }

        if (IsKnown && stated < _limit)
        {
            _refill = 0; // a lowered limit: the old refill rate is wrong too
        }

        _limit = stated;
        _limitStated = true;
        IsKnown = true;
        var missing = stated - advertised.Remaining;
        var resolution = advertised.Resolution.TotalSeconds;
        if (missing > 0 && advertised.UntilFull is { } full && full.TotalSeconds > resolution)
        {
            // Remaining is a whole number rounded down, so the true deficit lies in (missing - 1, missing], and the
            // time until full within the reset's resolution (a whole-second reset may be a second off either way): the
            // refill rate lies in [(missing - 1) / (untilFull + resolution), missing / (untilFull - resolution)].
            // Small deficits make wide intervals; intersecting them over the responses narrows the rate down. An empty
            // intersection means the limit changed (or it is no continuous bucket): start again from this response.
            // A reset within its resolution of now bounds nothing from above, so it teaches nothing.
            var low = (missing - 1) / (full.TotalSeconds + resolution);
            var high = missing / (full.TotalSeconds - resolution);
            if (_refill == 0)
            {
                (_refillLow, _refillHigh, _conflicts) = (low, high, 0);
            }
            else if (low > _refillHigh || high < _refillLow)
            {
                // One response that contradicts the narrowed interval is more likely noise (its remaining and reset
                // read at different moments) than a new rate; a changed rate contradicts every response that follows.
                // Restarting at once from one small deficit's wide interval would put the rate far too low, and a
                // bucket paced below its refill stays nearly full, whose responses can never correct it.
                if (++_conflicts >= ConflictsToRestart)
                {
                    (_refillLow, _refillHigh, _conflicts) = (low, high, 0);
                }
            }
            else
            {
                (_refillLow, _refillHigh, _conflicts) = (Math.Max(_refillLow, low), Math.Min(_refillHigh, high), 0);
            }

            _refill = (_refillLow + _refillHigh) / 2;
        }

        _reported = advertised.Remaining;
        _reportedAt = now;
        _issuedBefore = issuedBeforeSend;
        _fullAt = now + (advertised.UntilFull?.TotalSeconds ?? 0);
    }

    /// <summary>What the provider probably has left now for this client.</summary>
    public double Level(double now, double issued)
    {
        if (!_limitStated && now >= _fullAt)
        {
            return double.PositiveInfinity; // past the reset of a limit of unknown size: nothing is known
        }

        var refilled = _refill > 0
            ? Math.Min(_limit, _reported + (_refill * (now - _reportedAt)))
            : now >= _fullAt ? _limit : _reported;
        return refilled - Math.Max(0, issued - _issuedBefore);
    }

    /// <summary>How many starts of <paramref name="cost"/> each fit now; when none, how long until one does.</summary>
    public int Allow(double now, double issued, double cost, out double wait)
    {
        wait = 0;
        if (!IsKnown || cost <= 0)
        {
            return int.MaxValue;
        }

        // Keep some requests' cost in hand: requests granted but not yet arrived are invisible to both sides.
        // A cost the limit cannot hold (a learned charge gone wrong, a request larger than the limit) waits for a full
        // limit at most, never for ever: the provider's answer then says more.
        var held = cost * _reserve;
        if (_limitStated && _limit > 0)
        {
            cost = Math.Min(cost, _limit);
            held = Math.Min(held, _limit - cost);
        }

        var room = Level(now, issued) - held;
        var allowed = room >= cost ? (int)Math.Min(int.MaxValue, Math.Floor(room / cost)) : 0;
        if (allowed == 0)
        {
            wait = _refill > 0 ? (cost - room) / _refill : Math.Max(0.05, _fullAt - now);
            wait = Math.Max(wait, 0.001);
            return 0;
        }

        if (Even && _refill > 0)
        {
            // A burst of two lets a start that woke late catch up, and still keeps any window of the refill rate's
            // length within the limit (2 + 0.97 × rate × window ≤ rate × window from 67 a window on).
            var spaced = _spacing.Allow(now, _refill * _share / cost, 2, out var spacingWait);
            if (spaced == 0)
            {
                wait = spacingWait;
                return 0;
            }

            allowed = Math.Min(allowed, spaced);
        }

        return allowed;
    }

    public void Take(double now, double cost, int count)
    {
        if (Even && _refill > 0 && cost > 0)
        {
            _spacing.Take(now, _refill * _share / cost, count);
        }
    }

    /// <summary>
    /// The provider refused a request because this limit was exhausted (the refusal's headers say so): the model ran
    /// ahead of it, so keep more in hand. A burst of refusals from requests already in flight is one signal.
    /// </summary>
    public void OnExhausted(double now, double cost)
    {
        Refusals++;
        if (!IsKnown || now - _lastCut < 1)
        {
            return;
        }

        _lastCut = now;
        _reserve = Math.Min(Math.Max(1, _limit / (4 * Math.Max(cost, 1))), _reserve * 2);
    }

    /// <summary>
    /// The provider refused a request while this limit still had room, and the refusal is charged to it: the provider
    /// counts over a shorter window than it advertises, or others share the account. The first such refusal switches to
    /// even spreading; later ones make the share of the refill rate smaller.
    /// </summary>
    public void OnShorterWindow(double now)
    {
        Refusals++;
        if (!IsKnown || now - _lastCut < 1)
        {
            return;
        }

        _lastCut = now;
        if (Even)
        {
            _share = Math.Max(0.5, _share * 0.9);
        }

        Even = true;
    }

    public void OnSucceeded()
    {
        // Regain the share at about ShareRegainPerSecond a second whatever the rate: a cut after a refusal that
        // arrival jitter caused (not a lower limit) is undone within a few seconds instead of a minute.
        var startsPerSecond = Math.Max(1, _refill * _share);
        _share = Math.Min(MaxShare, _share + Math.Max(0.0005, ShareRegainPerSecond / startsPerSecond));
        _reserve = Math.Max(1, _reserve - 0.01);
    }

    public override string ToString() => $"{name}: limit {_limit}, refill {_refill:0.##}/s, share {_share:0.###}, reserve {_reserve:0.#}, even {Even}";
}
