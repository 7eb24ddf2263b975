using Microsoft.Extensions.Logging;
using Tem.Storage;

namespace Tem.Execution;

/// <summary>
/// A worker's side of budgets: holds a call's worst case in the store before it leaves (<see cref="SpendRules"/>),
/// waits while calls in flight could still free enough, refuses with <see cref="BudgetExceededException"/> when none
/// could, and settles each call to its reported usage. A batch without a budget costs one read before a call and the
/// usage row after it.
/// </summary>
internal sealed class SpendMeter(ITemStore store, TemOptions options, ILogger logger)
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(500);

    public async ValueTask<SpendHold> ReserveAsync(TaskSpend task, SpendAsk ask, LimitGroupKey group, CancellationToken ct)
    {
        // Most batches have no budget: a read tells, and the write transaction below is taken only by those that do.
        var bounded = await store.RunSpendAsync(async l => await l.BudgetLockAsync(SpendRules.BatchBudgetName(task.BatchId), ct).ConfigureAwait(false)
            is { } row && (row.MaxTokens is not null || row.MaxCostNanos is not null), readOnly: true, ct).ConfigureAwait(false);
        var wait = FirstWait;
        while (bounded)
        {
            var grant = await store.RunSpendAsync(l => SpendRules.ReserveAsync(l, task.BatchId, task.TaskId, ask, options.Prices, ct), readOnly: false, ct).ConfigureAwait(false);
            switch (grant.Kind)
            {
                case SpendGrantKind.Held: return new SpendHold(this, task, ask, group, grant.ReservationId);
                case SpendGrantKind.Refused: throw new BudgetExceededException(grant.Refusal!);
                case SpendGrantKind.Unbounded: bounded = false; break;
                default:
                    // Calls in flight hold the rest; one of them settling (here or in another process) may free enough.
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                    wait = wait * 2 < LongestWait ? wait * 2 : LongestWait;
                    break;
            }
        }

        return new SpendHold(this, task, ask, group, null);
    }

    /// <summary>Stores the call's usage (null: refused, nothing spent) and ends its reservation; a store error is logged, and the reservation then ends with the run's lease.</summary>
    public async Task SettleAsync(TaskSpend task, long? reservationId, SpendAsk ask, LimitGroupKey group, TokenUsage? usage, bool estimated)
    {
        try
        {
            var cost = await store.RunSpendAsync(l => SpendRules.SettleAsync(l, reservationId, task.BatchId, task.TaskId, task.TaskType, task.Attempt,
                ask.Model, usage, estimated, options.Prices, CancellationToken.None), readOnly: false, CancellationToken.None).ConfigureAwait(false);
            if (usage is { } used && !estimated)
            {
                SpendTelemetry.Record(group, ask.Model, used, cost);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Could not store the usage of a call of task {TaskId}; its budget reservation ends with the run.", task.TaskId);
        }
    }
}
