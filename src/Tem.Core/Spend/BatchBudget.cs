namespace Tem;

/// <summary>
/// What one batch may spend, held exactly in the store for every engine that runs it: each provider call reserves its
/// worst case (prompt estimate + max output tokens, at the model's price) before it leaves and settles to the usage the
/// provider reported. A call the remaining budget cannot cover waits for calls in flight to settle, or, when none of them
/// could free enough, the batch is interrupted (<see cref="InterruptionKind.Budget"/>) with nothing failed. Raise the
/// budget with <c>Batches.SetBudgetAsync</c> and call <c>Batches.ResumeAsync</c> to carry on.
/// </summary>
public sealed record BatchBudget
{
    /// <summary>The most input + output tokens the batch may use; null for no bound.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>The most US dollars the batch may spend; null for no bound. Needs a price for every model the batch calls.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>Prices for this batch by model name, taking precedence over <see cref="TemOptions.Prices"/>; null for none.</summary>
    public IReadOnlyDictionary<string, ModelPrice>? Prices { get; init; }

    internal void Validate()
    {
        if (MaxTokens < 0)
        {
            throw new TemConfigurationException($"BatchBudget.MaxTokens is {MaxTokens}; give 0 or more, or null for no token bound.");
        }

        if (MaxCost < 0 || MaxCost > Money.MaxUsd)
        {
            throw new TemConfigurationException($"BatchBudget.MaxCost is {MaxCost}; give US dollars from 0 to {Money.MaxUsd}, or null for no cost bound.");
        }

        PriceTable.Validate(Prices);
    }
}
