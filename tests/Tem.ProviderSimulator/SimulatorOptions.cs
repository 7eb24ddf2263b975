namespace Tem.ProviderSimulator;

/// <summary>How the simulated LLM provider behaves. Everything random is drawn from one seeded generator.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Shortest response time.</summary>
    public TimeSpan MinLatency { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Longest response time (uniform between the two).</summary>
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Requests served at once; one more gets 503 with Retry-After. Null for no limit.</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>Requests per sliding minute; past it 429 with Retry-After. Null for no limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens (the request's max_tokens) per sliding minute; past it 429. Null for no limit.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>The length of the "minute" the limits count over; shorten it to keep tests fast.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of accepted requests that fail with a random 500/502/504.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share of accepted requests answered 200 with a body that is not JSON.</summary>
    public double MalformedBodyRate { get; set; }

    /// <summary>Seed of the random draws.</summary>
    public int Seed { get; set; } = 12345;
}
