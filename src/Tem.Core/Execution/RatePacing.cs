namespace Tem;

/// <summary>How starts are placed within a rate limit's window (<see cref="RateLimitOptions.Pacing"/>).</summary>
public enum RatePacing
{
    /// <summary>
    /// Start as soon as every window has room: a per-minute budget is spent in the first seconds of the minute, then
    /// nothing starts until it slides on. Learned provider limits are likewise spent first, then paced at their refill rate.
    /// </summary>
    Burst,

    /// <summary>
    /// Spread starts evenly: at most one every window ÷ permits (1 s apart for 60 a minute), and learned provider
    /// limits paced at their refill rate from the start. Suits providers that replenish continuously or enforce a
    /// per-minute limit over shorter windows; costs the head start a full budget would give.
    /// </summary>
    Even,
}
