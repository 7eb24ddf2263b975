namespace Tem.Storage;

/// <summary>
/// The batch operations, written once over <see cref="ITemLedger"/>: resume, retry-failed, cancel, interrupt (by hand,
/// by its runtime criterion, or by the rules of a write) and completion. Each runs inside one store transaction and
/// records in the ledger's change set what it changed; the store signals from that.
/// </summary>
internal static class BatchLifecycleRules
{
    public static BatchNotFoundException BatchNotFound(long batchId)
        => new($"No batch has id {batchId}. Batch ids come from Batches.CreateAsync, GetByCodeAsync or ListAsync.");

    /// <summary>The batch's status; <see cref="BatchNotFoundException"/> when it does not exist.</summary>
    public static async ValueTask<BatchStatus> RequireAsync(ITemLedger ledger, long batchId, bool forUpdate, CancellationToken ct)
        => await ledger.BatchGetStatusAsync(batchId, forUpdate, ct).ConfigureAwait(false) ?? throw BatchNotFound(batchId);

    /// <summary>
    /// Makes the batch active with fresh interruption counters (resume, retry-failed) and returns the status it had.
    /// A cancelled batch stays cancelled. A completed batch keeps its completion time until a task is really returned.
    /// Its pending tasks are claimable again.
    /// </summary>
    public static async ValueTask<BatchStatus> RestartAsync(ITemLedger ledger, long batchId, CancellationToken ct)
    {
        var status = await RequireAsync(ledger, batchId, forUpdate: true, ct).ConfigureAwait(false);
        if (status == BatchStatus.Cancelled)
        {
            throw new BatchNotActiveException($"Batch {batchId} is cancelled and cannot be resumed or retried. Create a new batch and enqueue its tasks again.");
        }

        await ledger.BatchRestartAsync(batchId, ct).ConfigureAwait(false);
        ledger.Changes.WorkAvailable(TimeSpan.Zero);
        ledger.Changes.Changed();
        return status;
    }

    /// <summary>
    /// Batch → active; its running tasks whose owner is not live → pending after <paramref name="lostRunDelay"/>, or
    /// failed on their last attempt (<see cref="LostRunRules"/>). Returns how many.
    /// </summary>
    public static async ValueTask<int> ResumeAsync(ITemLedger ledger, long batchId, IReadOnlyCollection<string> liveOwners, TimeSpan lostRunDelay, CancellationToken ct)
    {
        var was = await RestartAsync(ledger, batchId, ct).ConfigureAwait(false);
        var reset = await LostRunRules.ReturnAsync(ledger, LostRuns.OfBatch(batchId, liveOwners), lostRunDelay, ct).ConfigureAwait(false);
        if (reset > 0)
        {
            await ledger.BatchReopenAsync(batchId, ct).ConfigureAwait(false);
        }

        if (was == BatchStatus.Interrupted || reset > 0)
        {
            await ledger.BatchEventInsertAsync(batchId, "resumed",
                (was == BatchStatus.Interrupted ? "Resumed after an interruption; the criteria's counters start again. " : "Resumed. ") +
                $"{reset} tasks of dead workers were returned.", ct).ConfigureAwait(false);
        }

        await CompleteIfDoneAsync(ledger, batchId, ct).ConfigureAwait(false);
        return reset;
    }

    /// <summary>Batch → active; its failed tasks → pending with attempts reset. Returns the tasks reset.</summary>
    public static async ValueTask<int> RetryFailedAsync(ITemLedger ledger, long batchId, CancellationToken ct)
    {
        await RestartAsync(ledger, batchId, ct).ConfigureAwait(false);
        var reset = await ledger.TaskResetFailedManyAsync(batchId, ct).ConfigureAwait(false);
        if (reset > 0)
        {
            await ledger.BatchReopenAsync(batchId, ct).ConfigureAwait(false);
            await ledger.BatchEventInsertAsync(batchId, "retry-failed", $"{reset} failed tasks were returned to pending with fresh attempts.", ct).ConfigureAwait(false);
        }

        await CompleteIfDoneAsync(ledger, batchId, ct).ConfigureAwait(false);
        return reset;
    }

    /// <summary>
    /// Batch → cancelled; its pending and running tasks → cancelled. Tasks first, then the batch row: the order outcome
    /// writes lock them in, so the two never deadlock. Returns the tasks cancelled.
    /// </summary>
    public static async ValueTask<int> CancelAsync(ITemLedger ledger, long batchId, CancellationToken ct)
    {
        await RequireAsync(ledger, batchId, forUpdate: false, ct).ConfigureAwait(false);
        var cancelled = await ledger.TaskCancelUnfinishedManyAsync(batchId, ct).ConfigureAwait(false);
        await ledger.BatchSetCancelledAsync(batchId, ct).ConfigureAwait(false);
        await ledger.BatchEventInsertAsync(batchId, "cancelled", $"Cancelled; {cancelled} pending or running tasks were cancelled.", ct).ConfigureAwait(false);
        ledger.Changes.Cancel(batchId);
        return cancelled;
    }

    /// <summary>An existing batch, if active → interrupted with a record. False when it was not active.</summary>
    public static async ValueTask<bool> InterruptExistingAsync(ITemLedger ledger, long batchId, InterruptionKind kind, string reason, CancellationToken ct)
    {
        await RequireAsync(ledger, batchId, forUpdate: false, ct).ConfigureAwait(false);
        return await InterruptAsync(ledger, batchId, kind, reason, ct).ConfigureAwait(false);
    }

    /// <summary>Active batch → interrupted, with a record of the reason and the stats. False when it was not active.</summary>
    public static async ValueTask<bool> InterruptAsync(ITemLedger ledger, long batchId, InterruptionKind kind, string reason, CancellationToken ct)
    {
        if (!await ledger.BatchInterruptIfActiveAsync(batchId, ct).ConfigureAwait(false))
        {
            return false;
        }

        var stats = await ledger.BatchGetStatsAsync(batchId, ct).ConfigureAwait(false);
        await ledger.BatchInterruptionInsertAsync(batchId, kind, reason, stats, ct).ConfigureAwait(false);
        await ledger.BatchEventInsertAsync(batchId, "interrupted", reason, ct).ConfigureAwait(false);
        ledger.Changes.Changed();
        return true;
    }

    /// <summary>Interrupts every active batch whose runtime criterion has passed. Returns how many.</summary>
    public static async ValueTask<int> InterruptOverdueAsync(ITemLedger ledger, CancellationToken ct)
    {
        var (candidates, now) = await ledger.BatchListRuntimeBoundAsync(ct).ConfigureAwait(false);
        var interrupted = 0;
        foreach (var (id, criteria, startedAt) in candidates)
        {
            if (BatchRules.OverdueReason(criteria, startedAt, now) is { } reason && await InterruptAsync(ledger, id, reason.Kind, reason.Reason, ct).ConfigureAwait(false))
            {
                interrupted++;
            }
        }

        return interrupted;
    }

    /// <summary>An active batch with tasks, none of them pending or running, is completed.</summary>
    public static async ValueTask CompleteIfDoneAsync(ITemLedger ledger, long batchId, CancellationToken ct)
    {
        if (await ledger.BatchCompleteIfDoneAsync(batchId, ct).ConfigureAwait(false))
        {
            ledger.Changes.Changed();
        }
    }
}
