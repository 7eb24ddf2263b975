using Tem.Storage;

namespace Tem;

// Budgets and spending (issue 25), kept apart from the batch's lifecycle.
public sealed partial class BatchService
{
    /// <summary>
    /// Sets the batch's budget (its bounds and its own prices), replacing any earlier one; every engine on the store
    /// holds calls to it from their next call on. Raising a reached budget does not restart an interrupted batch: call
    /// <see cref="ResumeAsync"/> after it. A budget set after calls were made starts from what they spent.
    /// </summary>
    /// <exception cref="TemConfigurationException">A bound is negative or a price is out of range.</exception>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task SetBudgetAsync(long batchId, BatchBudget budget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        await _store.RunSpendAsync(l => SpendRules.SetAsync(l, batchId, budget, cancellationToken), readOnly: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the batch's provider calls used and cost, by task type and model, against its budget.</summary>
    /// <exception cref="BatchNotFoundException">No batch has that id.</exception>
    public async Task<BatchSpend> GetSpendAsync(long batchId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(batchId, cancellationToken).ConfigureAwait(false);
        return await _store.RunSpendAsync(l => SpendRules.ReadAsync(l, batchId, cancellationToken), readOnly: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What one task's provider calls used and cost (every attempt), by model.</summary>
    public async Task<IReadOnlyList<SpendLine>> GetTaskSpendAsync(long taskId, CancellationToken cancellationToken = default)
    {
        var rows = await _store.RunSpendAsync(l => l.UsageOfTaskAsync(taskId, cancellationToken), readOnly: true, cancellationToken).ConfigureAwait(false);
        return rows.Select(SpendLine.From).ToArray();
    }
}
