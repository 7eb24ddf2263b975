namespace Tem.ProviderSimulator;

/// <summary>Which limit headers the simulator sends.</summary>
public enum HeaderStyle
{
    /// <summary><c>x-ratelimit-{limit,remaining,reset}-{requests,tokens}</c>, reset a duration until full ("6m0s", "120ms").</summary>
    OpenAi,

    /// <summary><c>anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}</c>, reset an RFC 3339 time of full replenishment.</summary>
    Anthropic,

    /// <summary>No limit headers at all.</summary>
    None,
}

/// <summary>How the simulator's limits refill.</summary>
public enum Replenishment
{
    /// <summary>A sliding window: what was taken comes back one window later.</summary>
    SlidingWindow,

    /// <summary>A token bucket refilled continuously at limit ÷ window.</summary>
    Continuous,
}

/// <summary>How the simulated LLM provider behaves. Everything random is drawn from one seeded generator.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Shortest response time.</summary>
    public TimeSpan MinLatency { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Longest response time (uniform between the two).</summary>
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Requests served at once; one more is refused with <see cref="ConcurrencyRefusalStatus"/>. Null for no limit.</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>The status of a concurrency refusal (503 or 429); its body says "too many concurrent requests".</summary>
    public int ConcurrencyRefusalStatus { get; set; } = 503;

    /// <summary>Requests per window ("minute"); past it 429. Null for no limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Whether every model (the body's "model") has limits of its own, as OpenAI keeps them per model: each gets
    /// <see cref="RequestsPerMinute"/> (or its entry in <see cref="RequestsPerMinuteByModel"/>) and <see cref="TokensPerMinute"/>.
    /// </summary>
    public bool LimitsPerModel { get; set; }

    /// <summary>With <see cref="LimitsPerModel"/>, the requests per window of named models; the others get <see cref="RequestsPerMinute"/>.</summary>
    public IReadOnlyDictionary<string, int>? RequestsPerMinuteByModel { get; set; }

    /// <summary>Tokens per window (a completion's max_tokens; a chat request's prompt ÷ 4 + max_tokens); past it 429. Null for no limit.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>The length of the "minute" the limits count over; shorten it to keep tests fast.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How the advertised limits refill. Default sliding window.</summary>
    public Replenishment Replenishment { get; set; } = Replenishment.SlidingWindow;

    /// <summary>
    /// A limit enforced over one-second sliding windows that no header advertises, as providers enforce a per-minute
    /// limit over shorter windows ("quantized"). Null for none.
    /// </summary>
    public int? HiddenRequestsPerSecond { get; set; }

    /// <summary>
    /// Tokens (the admission charge: prompt + max_tokens) enforced over one-second sliding windows that no header
    /// advertises, as OpenAI enforces a per-minute token limit over shorter windows. Null for none.
    /// </summary>
    public int? HiddenTokensPerSecond { get; set; }

    /// <summary>
    /// The share of max_tokens the usage body reports as output (the model stopped early), while admission charged the
    /// whole max_tokens, as OpenAI does. Default 1: usage reports what was charged.
    /// </summary>
    public double ReportedOutputShare { get; set; } = 1;

    /// <summary>Which limit headers to send. Default OpenAI's.</summary>
    public HeaderStyle Headers { get; set; } = HeaderStyle.OpenAi;

    /// <summary>Whether refusals carry Retry-After and retry-after-ms. Default true.</summary>
    public bool SendRetryAfter { get; set; } = true;

    /// <summary>Whether the limit headers include the limit itself; false sends only remaining and reset (issue 22). Default true.</summary>
    public bool SendLimitHeader { get; set; } = true;

    /// <summary>From this long after the first request, <see cref="OverloadShare"/> of requests get 529 "overloaded".</summary>
    public TimeSpan OverloadFrom { get; set; }

    /// <summary>How long the overload lasts; zero for none.</summary>
    public TimeSpan OverloadFor { get; set; }

    /// <summary>Share of requests answered 529 during the overload.</summary>
    public double OverloadShare { get; set; } = 0.5;

    /// <summary>This long after the first request, every limit is multiplied by <see cref="LimitScale"/>. Null: never.</summary>
    public TimeSpan? ScaleLimitsAfter { get; set; }

    /// <summary>The factor of <see cref="ScaleLimitsAfter"/>, such as 0.5 to halve the limits.</summary>
    public double LimitScale { get; set; } = 0.5;

    /// <summary>Share of accepted requests that fail with a random 500/502/504.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share of accepted requests answered 200 with a body that is not JSON.</summary>
    public double MalformedBodyRate { get; set; }

    /// <summary>How the provider batch APIs behave (statuses' durations, per-line errors, expiry, limits).</summary>
    public Batches.BatchSimulatorOptions Batches { get; set; } = new();

    /// <summary>The account: a quota spent after N requests, a key check (issue 22). Its settings may change while running.</summary>
    public SimulatedAccount Account { get; set; } = new();

    /// <summary>Seed of the random draws.</summary>
    public int Seed { get; set; } = 12345;
}
