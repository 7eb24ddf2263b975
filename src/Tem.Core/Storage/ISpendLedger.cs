namespace Tem.Storage;

/// <summary>A budget's row as the store holds it: bounds, what settled calls spent, and the batch's own prices (JSON).</summary>
internal readonly record struct BudgetRow(long? MaxTokens, long? MaxCostNanos, long SpentTokens, long SpentCostNanos, string? PricesJson);

/// <summary>One call's usage as it is stored: its task, model, tokens and cost (null without a price); Estimated when the provider reported none and the reservation's worst case was charged.</summary>
internal readonly record struct UsageRow(long TaskId, long BatchId, string TaskType, int Attempt, string Model, TokenUsage Usage, long? CostNanos, bool Estimated);

/// <summary>Usage summed over a group of a batch's calls (by task type and model), as reports show it.</summary>
internal readonly record struct UsageSumRow(string TaskType, string Model, long Calls, long InputTokens, long CachedInputTokens, long OutputTokens, long CostNanos, long UnpricedCalls, long EstimatedCalls);

/// <summary>
/// A store's budgets, reservations and usage, seen from inside one transaction: the single statements
/// <see cref="SpendRules"/> needs, in the store's dialect. <see cref="BudgetLockAsync"/> comes first in a write and holds
/// the budget's row until the transaction ends, so reservations under one budget are made one at a time, each seeing
/// every reservation and settlement committed before it. A SQLite ledger completes every call synchronously.
/// </summary>
internal interface ISpendLedger
{
    /// <summary>The budget's row, locked until the transaction ends (PostgreSQL; SQLite's write transaction holds the file); null when none is set.</summary>
    ValueTask<BudgetRow?> BudgetLockAsync(string budget, CancellationToken ct);

    /// <summary>Creates or replaces the budget's bounds and prices; a new row starts from <paramref name="spentTokens"/> and <paramref name="spentCostNanos"/>.</summary>
    ValueTask BudgetUpsertAsync(string budget, long? maxTokens, long? maxCostNanos, string? pricesJson, long spentTokens, long spentCostNanos, CancellationToken ct);

    /// <summary>Adds a settled call's tokens and cost to the budget's spending (nothing when the budget has no row).</summary>
    ValueTask BudgetAddSpentAsync(string budget, long tokens, long costNanos, CancellationToken ct);

    /// <summary>The tokens and cost held by the budget's open reservations.</summary>
    ValueTask<(long Tokens, long CostNanos)> ReservationSumAsync(string budget, CancellationToken ct);

    /// <summary>Holds <paramref name="tokens"/> and <paramref name="costNanos"/> of the budget for a call of <paramref name="taskId"/>. Returns the reservation's id.</summary>
    ValueTask<long> ReservationInsertAsync(string budget, long taskId, long tokens, long costNanos, CancellationToken ct);

    /// <summary>Ends a reservation; false when it was gone already (released with its lost run).</summary>
    ValueTask<bool> ReservationDeleteAsync(long reservationId, CancellationToken ct);

    /// <summary>Stores one call's usage.</summary>
    ValueTask UsageInsertAsync(UsageRow usage, CancellationToken ct);

    /// <summary>Every call's tokens and cost of the batch, summed (a budget set after calls were made starts from these).</summary>
    ValueTask<(long Tokens, long CostNanos)> UsageSumOfBatchAsync(long batchId, CancellationToken ct);

    /// <summary>The batch's usage by task type and model.</summary>
    ValueTask<IReadOnlyList<UsageSumRow>> UsageByTypeAndModelAsync(long batchId, CancellationToken ct);

    /// <summary>The task's usage by model (every attempt).</summary>
    ValueTask<IReadOnlyList<UsageSumRow>> UsageOfTaskAsync(long taskId, CancellationToken ct);
}
