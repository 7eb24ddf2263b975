namespace Tem;

/// <summary>
/// The limits <see cref="ProviderLimits"/> knows before the provider says anything: configured limits per group,
/// keyed by the group's name (<see cref="LimitGroupKey.Name"/>) or by its model (<see cref="LimitGroupKey.Model"/>),
/// so <c>Groups["gpt-4o-mini"]</c> applies to that model on every endpoint and key. A group with no entry is paced
/// only by what its provider advertises and refuses.
/// </summary>
/// <example><code>
/// var limits = new ProviderLimits(new ProviderLimitsOptions
/// {
///     Groups =
///     {
///         ["gpt-4o-mini"] = new RateLimitOptions { PerMinute = 5000, TokensPerMinute = 2_000_000 },
///         ["gpt-4o"] = new RateLimitOptions { PerMinute = 500, SharedName = "openai-org-gpt-4o" },
///     },
/// });
/// </code></example>
public sealed class ProviderLimitsOptions
{
    /// <summary>Configured limits per group name or model. <see cref="RateLimitOptions.SharedName"/> names the group in the store.</summary>
    public IDictionary<string, RateLimitOptions> Groups { get; set; } = new Dictionary<string, RateLimitOptions>(StringComparer.Ordinal);

    /// <summary>The longest pause one Retry-After can impose on a group. Default 5 minutes.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether a group with no configured limits learns a start rate from refusals that advertise nothing (no limit
    /// headers): unlimited until the first 429, then the rate the provider accepted. Default true.
    /// </summary>
    public bool LearnFromBareRefusals { get; set; } = true;

    internal void Validate()
    {
        if (MaxRetryAfter <= TimeSpan.Zero || MaxRetryAfter > TimeSpan.FromDays(1))
        {
            throw new TemConfigurationException($"ProviderLimitsOptions.MaxRetryAfter is {MaxRetryAfter}; it must be positive and at most a day.");
        }

        foreach (var (name, limits) in Groups ?? new Dictionary<string, RateLimitOptions>())
        {
            if (limits is null)
            {
                throw new TemConfigurationException($"ProviderLimitsOptions.Groups[\"{name}\"] is null; give it a RateLimitOptions or remove the entry.");
            }

            limits.Validate();
        }
    }
}
