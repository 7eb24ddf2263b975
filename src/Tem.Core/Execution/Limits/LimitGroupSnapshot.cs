namespace Tem;

/// <summary>What one limit group knows now, for a dashboard or <c>tem watch</c> (<see cref="ProviderLimits.Snapshot"/>).</summary>
/// <param name="Group">The group.</param>
/// <param name="Limits">Each limit the provider advertised for it (requests, tokens, input-tokens, output-tokens), and the configured ones.</param>
/// <param name="Requests">Permits granted so far.</param>
/// <param name="InFlight">Permits open now.</param>
/// <param name="Refusals">Rate-limit refusals seen so far.</param>
/// <param name="PausedUntil">When the group's Retry-After pause ends; null when it is not paused.</param>
/// <param name="TokensPerRequest">What one request is charged in tokens, as learned (0 while unknown).</param>
/// <param name="LearnedRate">The start rate learned from bare refusals, per second; null when none was learned.</param>
public sealed record LimitGroupSnapshot(
    LimitGroupKey Group,
    IReadOnlyList<LimitSnapshot> Limits,
    long Requests,
    int InFlight,
    long Refusals,
    DateTimeOffset? PausedUntil,
    double TokensPerRequest,
    double? LearnedRate)
{
    /// <inheritdoc/>
    public override string ToString()
        => $"{Group}: {string.Join("; ", Limits)}; {Requests} requests, {Refusals} refused, {TokensPerRequest:0.#} tokens each{(PausedUntil is { } p ? $", paused until {p:HH:mm:ss.fff}" : "")}{(LearnedRate is { } r ? $", learned {r:0.##}/s" : "")}";
}

/// <summary>One limit of a group.</summary>
/// <param name="Name">"requests", "tokens", "input-tokens" or "output-tokens"; "configured …" for a configured window.</param>
/// <param name="Limit">Its size as advertised or configured; null when the provider sent a remaining count without a limit.</param>
/// <param name="Remaining">What is probably left now for this client.</param>
/// <param name="RefillPerSecond">Its refill rate as learned; 0 while unknown.</param>
/// <param name="Refusals">Refusals charged to this limit.</param>
public sealed record LimitSnapshot(string Name, long? Limit, double Remaining, double RefillPerSecond, long Refusals)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Remaining:0.#}/{Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} refill {RefillPerSecond:0.##}/s refused {Refusals}";
}
