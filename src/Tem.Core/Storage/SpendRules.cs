using System.Text.Json;

namespace Tem.Storage;

/// <summary>
/// How budgets hold, the same for every store (the store only supplies its <see cref="ISpendLedger"/>): inside the
/// store's transaction, with the budget's row locked, a call is held only if what settled calls spent plus what open
/// reservations hold plus its own worst case fits every bound. The response settles it: the reservation ends and the
/// reported usage is added, so the sum never passes the bound on any number of engines. A call that does not fit waits
/// while open reservations could still free enough; once even their settling at nothing would not, it is refused.
/// </summary>
internal static class SpendRules
{
    public static string BatchBudgetName(long batchId) => "batch:" + batchId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sets the batch's bounds and prices; a budget new to the batch starts from what its calls already spent.</summary>
    public static async ValueTask<bool> SetAsync(ISpendLedger ledger, long batchId, BatchBudget budget, CancellationToken ct)
    {
        var name = BatchBudgetName(batchId);
        var row = await ledger.BudgetLockAsync(name, ct).ConfigureAwait(false);
        var (tokens, cost) = row is { } r ? (r.SpentTokens, r.SpentCostNanos) : await ledger.UsageSumOfBatchAsync(batchId, ct).ConfigureAwait(false);
        var prices = budget.Prices is { Count: > 0 } p ? JsonSerializer.Serialize(p.ToDictionary(), TemCoreJsonContext.Default.DictionaryStringModelPrice) : null;
        await ledger.BudgetUpsertAsync(name, budget.MaxTokens, budget.MaxCost is { } max ? Money.ToNanosDown(max) : null, prices, tokens, cost, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Holds the worst case of a call of <paramref name="taskId"/>, or says to wait, or refuses it with what was spent and what is left.</summary>
    public static async ValueTask<SpendGrant> ReserveAsync(ISpendLedger ledger, long batchId, long taskId, SpendAsk ask,
        IReadOnlyDictionary<string, ModelPrice>? enginePrices, CancellationToken ct)
    {
        var name = BatchBudgetName(batchId);
        if (await ledger.BudgetLockAsync(name, ct).ConfigureAwait(false) is not { } row || (row.MaxTokens is null && row.MaxCostNanos is null))
        {
            return SpendGrant.Unbounded;
        }

        long cost = 0;
        if (row.MaxCostNanos is not null)
        {
            if (PriceTable.Find(ask.Model, Prices(row.PricesJson), enginePrices) is not { } price)
            {
                return new(SpendGrantKind.Refused, Refusal:
                    $"The batch has a cost budget, but model '{ask.Model}' has no price, so a call to it cannot be held to the budget. " +
                    "Add the model to TemOptions.Prices or to the batch's BatchBudget.Prices (Batches.SetBudgetAsync), then call Batches.ResumeAsync.");
            }

            cost = Money.ToNanos(price.CostOf(new TokenUsage(ask.InputTokens, 0, ask.OutputTokens)));
        }

        var (heldTokens, heldCost) = await ledger.ReservationSumAsync(name, ct).ConfigureAwait(false);
        var tokensFit = row.MaxTokens is not { } maxTokens || row.SpentTokens + heldTokens + ask.Tokens <= maxTokens;
        var costFits = row.MaxCostNanos is not { } maxCost || row.SpentCostNanos + heldCost + cost <= maxCost;
        if (tokensFit && costFits)
        {
            var id = await ledger.ReservationInsertAsync(name, taskId, ask.Tokens, cost, ct).ConfigureAwait(false);
            return new(SpendGrantKind.Held, id, ask.Tokens, cost);
        }

        // Calls in flight settle at zero at best: if the call would not fit even then, waiting cannot help.
        var never = row.SpentTokens + ask.Tokens > row.MaxTokens || row.SpentCostNanos + cost > row.MaxCostNanos;
        return never ? new(SpendGrantKind.Refused, Refusal: Describe(row, ask, cost)) : SpendGrant.Wait;
    }

    /// <summary>
    /// Ends a reservation (if any) and stores the call's usage at its price, adding it to the batch's budget; with
    /// <paramref name="usage"/> null the call was refused and nothing was spent.
    /// </summary>
    public static async ValueTask<long?> SettleAsync(ISpendLedger ledger, long? reservationId, long batchId, long taskId, string taskType, int attempt,
        string model, TokenUsage? usage, bool estimated, IReadOnlyDictionary<string, ModelPrice>? enginePrices, CancellationToken ct)
    {
        var name = BatchBudgetName(batchId);
        var row = await ledger.BudgetLockAsync(name, ct).ConfigureAwait(false);
        if (reservationId is { } id)
        {
            await ledger.ReservationDeleteAsync(id, ct).ConfigureAwait(false);
        }

        if (usage is not { } used)
        {
            return null;
        }

        var price = PriceTable.Find(model, Prices(row?.PricesJson), enginePrices);
        long? cost = price is null ? null : Money.ToNanos(price.CostOf(used));
        await ledger.UsageInsertAsync(new UsageRow(taskId, batchId, taskType, attempt, model, used, cost, estimated), ct).ConfigureAwait(false);
        if (row is not null)
        {
            // Added even when the reservation was released with a run judged lost: the call was made all the same.
            await ledger.BudgetAddSpentAsync(name, used.TotalTokens, cost ?? 0, ct).ConfigureAwait(false);
        }

        return cost;
    }

    /// <summary>The batch's spending: usage by type and model, and its budget with what open reservations hold.</summary>
    public static async ValueTask<BatchSpend> ReadAsync(ISpendLedger ledger, long batchId, CancellationToken ct)
    {
        var name = BatchBudgetName(batchId);
        var row = await ledger.BudgetLockAsync(name, ct).ConfigureAwait(false);
        var (heldTokens, heldCost) = row is null ? (0, 0) : await ledger.ReservationSumAsync(name, ct).ConfigureAwait(false);
        var lines = await ledger.UsageByTypeAndModelAsync(batchId, ct).ConfigureAwait(false);
        return BatchSpend.From(batchId, lines, row, heldTokens, heldCost);
    }

    public static IReadOnlyDictionary<string, ModelPrice>? Prices(string? json)
        => json is null ? null : JsonSerializer.Deserialize(json, TemCoreJsonContext.Default.DictionaryStringModelPrice);

    private static string Describe(BudgetRow row, SpendAsk ask, long cost)
    {
        var parts = new List<string>();
        if (row.MaxCostNanos is { } maxCost)
        {
            parts.Add($"spent ${Money.Format(Money.ToUsd(row.SpentCostNanos))} of ${Money.Format(Money.ToUsd(maxCost))}, ${Money.Format(Money.ToUsd(Math.Max(0, maxCost - row.SpentCostNanos)))} left, and the next call needs up to ${Money.Format(Money.ToUsd(cost))}");
        }

        if (row.MaxTokens is { } maxTokens)
        {
            parts.Add($"spent {row.SpentTokens} of {maxTokens} tokens, {Math.Max(0, maxTokens - row.SpentTokens)} left, and the next call needs up to {ask.Tokens}");
        }

        return $"The batch's budget is reached: {string.Join("; ", parts)} (model '{ask.Model}'). Raise it with Batches.SetBudgetAsync, then call Batches.ResumeAsync to carry on.";
    }
}
