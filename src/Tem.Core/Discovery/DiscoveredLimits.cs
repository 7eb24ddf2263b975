namespace Tem;

/// <summary>What <see cref="ProviderLimitProbe"/> found: options ready to use, how sure it is, and why.</summary>
public sealed class DiscoveredLimits
{
    internal DiscoveredLimits(RateLimitOptions rateLimit, int? concurrency, double? requestsPerSecond, double? tokensPerSecond,
        double confidence, IReadOnlyList<string> notes, int requestsUsed, bool advertised)
    {
        RateLimit = rateLimit;
        Concurrency = concurrency;
        RequestsPerSecond = requestsPerSecond;
        TokensPerSecond = tokensPerSecond;
        Confidence = confidence;
        Notes = notes;
        RequestsUsed = requestsUsed;
        Advertised = advertised;
    }

    /// <summary>Rate limits to set as <see cref="TemOptions.RateLimit"/>; empty windows when none was found.</summary>
    public RateLimitOptions RateLimit { get; }

    /// <summary>Most requests the endpoint served at once before refusing; null when none was refused up to the probe's maximum.</summary>
    public int? Concurrency { get; }

    /// <summary>The sustained request rate (the limit's refill rate); null when none was found.</summary>
    public double? RequestsPerSecond { get; }

    /// <summary>The sustained token rate, when the provider advertises a token limit.</summary>
    public double? TokensPerSecond { get; }

    /// <summary>From 0 (a guess) to 1 (stated by the provider and confirmed).</summary>
    public double Confidence { get; }

    /// <summary>How each figure was found, and what could not be.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Requests the probe sent; never more than its budget.</summary>
    public int RequestsUsed { get; }

    /// <summary>Whether the rate limits come from the provider's own headers rather than from probing.</summary>
    public bool Advertised { get; }
}
