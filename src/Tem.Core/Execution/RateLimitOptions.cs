namespace Tem;

/// <summary>
/// Start-rate limits. Every window must allow a start: with <c>PerSecond = 5, PerMinute = 60</c>
/// no second sees more than 5 task starts and no minute more than 60, measured over sliding windows.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Most task starts in any one second; null for no such limit.</summary>
    public int? PerSecond { get; set; }

    /// <summary>Most task starts in any one minute; null for no such limit.</summary>
    public int? PerMinute { get; set; }

    /// <summary>Further windows, each a number of permits in a time span.</summary>
    public IList<RateLimitWindow> Windows { get; set; } = new List<RateLimitWindow>();

    /// <summary>
    /// How much longer than its length each window is counted, to absorb the jitter between a request leaving
    /// and the provider's clock counting it (scheduling, connection pools, the network). Default 10 ms, which is
    /// enough on an idle loopback; raise it toward the provider's latency jitter when every 429 counts.
    /// </summary>
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Whether starts may use a window's whole budget at once or are spread evenly over it. Default <see cref="RatePacing.Burst"/>.</summary>
    public RatePacing Pacing { get; set; } = RatePacing.Burst;

    /// <summary>Most tokens reserved in any one minute through <see cref="TaskContext.ReserveTokensAsync"/>; null for no such limit.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Further token windows, each a number of tokens in a time span.</summary>
    public IList<RateLimitWindow> TokenWindows { get; set; } = new List<RateLimitWindow>();

    /// <summary>
    /// The scope of these limits. Null (the default): this process alone keeps them, in memory. A name, such as the
    /// provider account's (<c>"openai-org-main"</c>): every engine on the same database — other processes on one SQLite
    /// file, other machines on one PostgreSQL database — shares one set of windows under that name, kept in the database
    /// and granted on its clock; token reservations (<see cref="TaskContext.ReserveTokensAsync"/>) and a provider's
    /// Retry-After pause are shared too. Engines sharing a name should configure the same windows.
    /// </summary>
    public string? SharedName { get; set; }

    /// <summary>
    /// For a shared limit (<see cref="SharedName"/>): how much longer than its length each window is counted, on top
    /// of <see cref="SafetyMargin"/>, to cover the hop from the database's grant to the handler's start (the claim's
    /// commit, the hand-off to a thread). A task whose grant is older than half of this when its handler is about to
    /// be called gives it back and waits for a fresh one (the other half covers reading its payload), so no window of
    /// its length ever holds more handler starts than its limit, however loaded the machine. Default 250 ms.
    /// </summary>
    public TimeSpan SharedGrantMargin { get; set; } = TimeSpan.FromMilliseconds(250);

    internal IReadOnlyList<RateLimitWindow> AllTokenWindows()
    {
        var all = new List<RateLimitWindow>();
        if (TokensPerMinute is { } t)
        {
            all.Add(new RateLimitWindow(t, TimeSpan.FromMinutes(1)));
        }

        all.AddRange(TokenWindows ?? []);
        return all;
    }

    internal IReadOnlyList<RateLimitWindow> AllWindows()
    {
        var all = new List<RateLimitWindow>();
        if (PerSecond is { } s)
        {
            all.Add(new RateLimitWindow(s, TimeSpan.FromSeconds(1)));
        }

        if (PerMinute is { } m)
        {
            all.Add(new RateLimitWindow(m, TimeSpan.FromMinutes(1)));
        }

        all.AddRange(Windows ?? []);
        return all;
    }

    internal void Validate()
    {
        if (SafetyMargin < TimeSpan.Zero)
        {
            throw new TemConfigurationException($"RateLimitOptions.SafetyMargin is {SafetyMargin}; it must not be negative.");
        }

        if (!Enum.IsDefined(Pacing))
        {
            throw new TemConfigurationException($"RateLimitOptions.Pacing is {(int)Pacing}, which is not a RatePacing value; use Burst or Even.");
        }

        if (SharedName is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Trim() != name))
        {
            throw new TemConfigurationException(
                $"RateLimitOptions.SharedName is \"{name}\"; a shared limit needs a name of 1 to 200 characters without leading or trailing spaces, such as the provider account's. Set it to null to keep the limits in this process.");
        }

        if (SharedGrantMargin < TimeSpan.Zero || SharedGrantMargin > TimeSpan.FromMinutes(1))
        {
            throw new TemConfigurationException(
                $"RateLimitOptions.SharedGrantMargin is {SharedGrantMargin}; it must be between zero and one minute (a few hundred milliseconds covers the hop from grant to handler).");
        }

        if (SharedName is not null && AllWindows().Count == 0 && AllTokenWindows().Count == 0)
        {
            throw new TemConfigurationException(
                $"RateLimitOptions.SharedName is \"{SharedName}\" but no window is set, so there is nothing to share. Set PerSecond, PerMinute, Windows, TokensPerMinute or TokenWindows.");
        }

        foreach (var w in AllWindows().Concat(AllTokenWindows()))
        {
            if (w.Permits < 1 || w.Window <= TimeSpan.Zero)
            {
                throw new TemConfigurationException($"Rate limit window ({w.Permits} per {w.Window}) is invalid: permits must be at least 1 and the window positive.");
            }
        }
    }
}

/// <summary>At most <paramref name="Permits"/> task starts in any sliding window of length <paramref name="Window"/>.</summary>
/// <param name="Permits">Most starts in the window.</param>
/// <param name="Window">The window length.</param>
public readonly record struct RateLimitWindow(int Permits, TimeSpan Window);
