namespace Tem;

/// <summary>
/// What one model's tokens cost, in US dollars per million tokens, as the provider's price page lists them. Tem ships
/// no price list (prices change; a stale one would misstate a bill): give the models you call in
/// <see cref="TemOptions.Prices"/>, or per batch in <see cref="BatchBudget.Prices"/>.
/// </summary>
/// <param name="InputPerMillion">USD per 1M input (prompt) tokens.</param>
/// <param name="OutputPerMillion">USD per 1M output (completion) tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>USD per 1M cached input tokens (a prompt-cache read); null: the input price.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>What a call sent through the provider's batch API pays, as a share of the live price. Default 0.5 (OpenAI's and Anthropic's batch discount).</summary>
    public decimal BatchFactor { get; init; } = 0.5m;

    /// <summary>
    /// What <paramref name="usage"/> costs in USD, exactly: input tokens that were not cached at the input price, cached
    /// ones at the cached price, output at the output price; times <see cref="BatchFactor"/> through the batch API.
    /// </summary>
    public decimal CostOf(TokenUsage usage, bool viaBatchApi = false)
    {
        var cached = Math.Clamp(usage.CachedInputTokens, 0, usage.InputTokens);
        var cost = ((usage.InputTokens - cached) * InputPerMillion
            + (cached * (CachedInputPerMillion ?? InputPerMillion))
            + (usage.OutputTokens * OutputPerMillion)) / 1_000_000m;
        return viaBatchApi ? cost * BatchFactor : cost;
    }

    /// <summary>Throws when a price is negative or the batch factor is outside (0, 1].</summary>
    internal void Validate(string model)
    {
        if (InputPerMillion < 0 || OutputPerMillion < 0 || CachedInputPerMillion < 0)
        {
            throw new TemConfigurationException($"The price of model '{model}' is negative; give USD per 1M tokens, 0 or more.");
        }

        if (BatchFactor <= 0 || BatchFactor > 1)
        {
            throw new TemConfigurationException($"The batch factor of model '{model}' is {BatchFactor}; give the share of the live price a batch-API call pays, above 0 and at most 1 (0.5 for half price).");
        }
    }
}
