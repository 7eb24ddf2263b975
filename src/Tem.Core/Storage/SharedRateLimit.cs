namespace Tem.Storage;

/// <summary>
/// One window of a shared limit as the store counts it: at most <paramref name="Permits"/> (starts, or tokens) granted
/// in any span of <paramref name="LengthMs"/> milliseconds — the configured window plus its margins — on the store's clock.
/// </summary>
internal readonly record struct SharedWindow(long Permits, long LengthMs);

/// <summary>
/// A limit shared under <paramref name="Name"/> by every engine on one database: windows for starts and windows for
/// token reservations. Engines sharing a name should configure the same windows; the store keeps the grant log for the
/// longest window any of them asked for.
/// </summary>
internal sealed record SharedRateLimit(string Name, IReadOnlyList<SharedWindow> Starts, IReadOnlyList<SharedWindow> Tokens)
{
    /// <summary>How long a grant must be kept: the longest window of either kind.</summary>
    public long KeepMs => Starts.Concat(Tokens).Select(w => w.LengthMs).DefaultIfEmpty(0).Max();

    /// <summary>The shared windows for <paramref name="options"/>, each counted <paramref name="margin"/> longer and rounded up to whole milliseconds.</summary>
    public static SharedRateLimit Of(RateLimitOptions options, TimeSpan margin) => new(
        options.SharedName ?? throw new ArgumentException("The limit is not shared.", nameof(options)),
        options.AllWindows().Select(w => Counted(w, margin)).ToArray(),
        options.AllTokenWindows().Select(w => Counted(w, margin)).ToArray());

    private static SharedWindow Counted(RateLimitWindow window, TimeSpan margin)
        => new(window.Permits, (long)Math.Ceiling((window.Window + margin).TotalMilliseconds));
}

/// <summary>
/// What a shared limit granted: <paramref name="Granted"/> starts or tokens, logged at <paramref name="GrantedAtMs"/> on the
/// store's clock; or none and when to ask again.
/// </summary>
internal readonly record struct SharedGrant(long Granted, TimeSpan RetryIn, long GrantedAtMs = 0);

/// <summary>
/// A claim under a shared limit: the tasks claimed, each counted as a start granted at <paramref name="GrantedAtMs"/>;
/// or none and when the limit has room again.
/// </summary>
internal sealed record SharedClaim(IReadOnlyList<ClaimedTask> Tasks, TimeSpan RetryIn, long GrantedAtMs = 0);
