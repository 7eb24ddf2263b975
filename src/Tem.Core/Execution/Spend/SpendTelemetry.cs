using System.Diagnostics.Metrics;

namespace Tem.Execution;

/// <summary>
/// Token usage as OpenTelemetry's GenAI semantic conventions name it (<c>gen_ai.client.token.usage</c>, by
/// <c>gen_ai.token.type</c>, model and provider) beside Tem's own <c>tem.cost</c>, on Tem's meter.
/// </summary>
internal static class SpendTelemetry
{
    public static readonly Histogram<long> TokenUsage = TemTelemetry.Meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Measures number of input and output tokens used.");

    public static readonly Counter<double> Cost = TemTelemetry.Meter.CreateCounter<double>("tem.cost", "USD", "What provider calls cost at the configured prices.");

    public static void Record(LimitGroupKey group, string model, Tem.TokenUsage usage, long? costNanos)
    {
        var modelTag = new KeyValuePair<string, object?>("gen_ai.request.model", model);
        var provider = new KeyValuePair<string, object?>("gen_ai.provider.name", ProviderName(group.Host));
        var operation = new KeyValuePair<string, object?>("gen_ai.operation.name", "chat");
        TokenUsage.Record(usage.InputTokens, new("gen_ai.token.type", "input"), modelTag, provider, operation);
        TokenUsage.Record(usage.OutputTokens, new("gen_ai.token.type", "output"), modelTag, provider, operation);
        if (costNanos is { } nanos)
        {
            Cost.Add((double)Money.ToUsd(nanos), modelTag, provider);
        }
    }

    /// <summary>The convention's well-known names for the big providers' hosts; any other host as it is.</summary>
    public static string ProviderName(string? host) => host switch
    {
        null or "" => "unknown",
        _ when host.EndsWith("openai.com", StringComparison.OrdinalIgnoreCase) => "openai",
        _ when host.EndsWith("anthropic.com", StringComparison.OrdinalIgnoreCase) => "anthropic",
        _ when host.EndsWith("openai.azure.com", StringComparison.OrdinalIgnoreCase) => "azure.ai.openai",
        _ => host,
    };
}
