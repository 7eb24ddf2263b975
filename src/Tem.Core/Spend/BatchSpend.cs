using Tem.Storage;

namespace Tem;

/// <summary>What a batch's provider calls used and cost, by task type and model, against its budget.</summary>
public sealed record BatchSpend
{
    /// <summary>The batch.</summary>
    public required long BatchId { get; init; }

    /// <summary>Input + output tokens of every call.</summary>
    public long Tokens { get; init; }

    /// <summary>What every priced call cost, in USD.</summary>
    public decimal Cost { get; init; }

    /// <summary>Calls whose model had no price: their tokens count, their cost is not known.</summary>
    public long UnpricedCalls { get; init; }

    /// <summary>The batch's token bound, if it has one.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>The batch's cost bound in USD, if it has one.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>What calls in flight hold of the budget now (their worst case), in tokens.</summary>
    public long ReservedTokens { get; init; }

    /// <summary>What calls in flight hold of the budget now (their worst case), in USD.</summary>
    public decimal ReservedCost { get; init; }

    /// <summary>Usage per task type and model.</summary>
    public required IReadOnlyList<SpendLine> Lines { get; init; }

    internal static BatchSpend From(long batchId, IReadOnlyList<UsageSumRow> rows, BudgetRow? budget, long heldTokens, long heldCost) => new()
    {
        BatchId = batchId,
        Tokens = rows.Sum(r => r.InputTokens + r.OutputTokens),
        Cost = Money.ToUsd(rows.Sum(r => r.CostNanos)),
        UnpricedCalls = rows.Sum(r => r.UnpricedCalls),
        MaxTokens = budget?.MaxTokens,
        MaxCost = budget?.MaxCostNanos is { } max ? Money.ToUsd(max) : null,
        ReservedTokens = heldTokens,
        ReservedCost = Money.ToUsd(heldCost),
        Lines = rows.Select(SpendLine.From).ToArray(),
    };
}

/// <summary>The calls of one task type to one model: how many, their tokens and their cost (USD; unpriced calls count as 0).</summary>
public sealed record SpendLine(string TaskType, string Model, long Calls, long InputTokens, long CachedInputTokens, long OutputTokens, decimal Cost, long UnpricedCalls)
{
    internal static SpendLine From(UsageSumRow r) => new(r.TaskType, r.Model, r.Calls, r.InputTokens, r.CachedInputTokens, r.OutputTokens, Money.ToUsd(r.CostNanos), r.UnpricedCalls);
}
