namespace Tem.Storage;

/// <summary>
/// Enqueues, written once over <see cref="ITemLedger"/>: the batch must take tasks (not cancelled, not interrupted); its
/// row is locked for the insert, so that an outcome write completing the batch either waits and then sees the new
/// rows, or completes it first and the enqueue sees 'completed' and reactivates it. New rows are claimable work.
/// </summary>
internal static class EnqueueRules
{
    public static BatchNotActiveException NotOpen(long batchId, BatchStatus status) => new(
        $"Batch {batchId} is {StatusNames.ToText(status)} and takes no new tasks. " +
        (status == BatchStatus.Interrupted ? "Call Batches.ResumeAsync to reopen it, or create a new batch." : "Create a new batch."));

    /// <summary>The batch's status if it takes tasks; <see cref="BatchNotFoundException"/> or <see cref="BatchNotActiveException"/> if not.</summary>
    public static async ValueTask<BatchStatus> RequireOpenAsync(ITemLedger ledger, long batchId, CancellationToken ct)
    {
        var status = await BatchLifecycleRules.RequireAsync(ledger, batchId, forUpdate: true, ct).ConfigureAwait(false);
        return status is BatchStatus.Cancelled or BatchStatus.Interrupted ? throw NotOpen(batchId, status) : status;
    }

    /// <summary>Inserts <paramref name="tasks"/> as pending, skipping idempotency keys the batch holds.</summary>
    public static async ValueTask<EnqueueResult> InsertManyAsync(ITemLedger ledger, long batchId, string type, IReadOnlyList<NewTask> tasks, CancellationToken ct)
    {
        var was = await RequireOpenAsync(ledger, batchId, ct).ConfigureAwait(false);
        var inserted = await ledger.TaskInsertManyAsync(batchId, type, tasks, ct).ConfigureAwait(false);
        await AddedAsync(ledger, batchId, was, inserted, tasks.Count == 0 ? TimeSpan.Zero : tasks.Min(t => t.Delay), ct).ConfigureAwait(false);
        return new EnqueueResult(inserted, tasks.Count - inserted);
    }

    /// <summary>Inserts one task; its id, or the id of the task that already has its idempotency key.</summary>
    public static async ValueTask<long> InsertOneAsync(ITemLedger ledger, long batchId, string type, NewTask task, CancellationToken ct)
    {
        var was = await RequireOpenAsync(ledger, batchId, ct).ConfigureAwait(false);
        var (id, inserted) = await ledger.TaskInsertOneAsync(batchId, type, task, ct).ConfigureAwait(false);
        await AddedAsync(ledger, batchId, was, inserted ? 1 : 0, task.Delay, ct).ConfigureAwait(false);
        return id;
    }

    /// <summary>Makes the rows staged under <paramref name="token"/> pending tasks at once. Returns how many were new.</summary>
    public static async ValueTask<long> CommitStagedAsync(ITemLedger ledger, long batchId, string type, long token, CancellationToken ct)
    {
        var was = await RequireOpenAsync(ledger, batchId, ct).ConfigureAwait(false);
        var committed = await ledger.TaskCommitStagedAsync(batchId, type, token, ct).ConfigureAwait(false);
        await AddedAsync(ledger, batchId, was, committed, TimeSpan.Zero, ct).ConfigureAwait(false);
        return committed;
    }

    /// <summary>A completed batch that got new tasks is active again (reactivation); the new rows are claimable after <paramref name="dueIn"/>.</summary>
    private static async ValueTask AddedAsync(ITemLedger ledger, long batchId, BatchStatus was, long inserted, TimeSpan dueIn, CancellationToken ct)
    {
        if (inserted == 0)
        {
            return;
        }

        if (was == BatchStatus.Completed)
        {
            await ledger.BatchReactivateAsync(batchId, ct).ConfigureAwait(false);
        }

        ledger.Changes.TasksAdded(inserted);
        ledger.Changes.WorkAvailable(dueIn);
        ledger.Changes.Changed();
    }
}
