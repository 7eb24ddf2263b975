namespace Tem.Storage;

/// <summary>
/// The one seam between the engine and its database: every statement Tem runs sits behind it, so another store
/// (PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>) serves the same services and worker. Each state change is one
/// conditional statement; grouped ones share a transaction. The store stamps every time from its own clock (the
/// database's, where it has one): callers pass durations, never instants, so hosts with skewed clocks agree.
/// The batch and task rules (resume, retry-failed, lost runs, cancel, interrupt, steering, tallies → criteria →
/// completion) are written once in Storage/Rules over the store's <see cref="ITemLedger"/> primitives: the methods
/// below that have a body here run them through <see cref="RunLedgerAsync{T}"/>, and a store implements only the
/// primitives. What remains abstract is a read, or a fused hot path kept in one dialect's statements for speed
/// (claim, outcome group + refill claim, PostgreSQL's completed group, heartbeat, staging a chunk). A store may complete
/// synchronously.
/// </summary>
internal partial interface ITemStore : IAsyncDisposable
{
    /// <summary>What the store is, for messages: a file path or a server and database.</summary>
    string Description { get; }

    /// <summary>
    /// Runs <paramref name="rules"/> over this store's ledger in one write transaction (again from the start if the
    /// store retries a transient error), sends its change set — NOTIFY inside the transaction, where the store has it;
    /// this engine's signals once it committed — and returns the rules' result.
    /// </summary>
    ValueTask<T> RunLedgerAsync<T>(Func<ITemLedger, ValueTask<T>> rules, CancellationToken cancellationToken);

    // ---- batches ----

    ValueTask<Batch> CreateBatchAsync(string code, string type, string? metadataJson, string? criteriaJson, CancellationToken cancellationToken);

    ValueTask<Batch?> GetBatchAsync(long batchId, CancellationToken cancellationToken);

    ValueTask<Batch?> GetBatchByCodeAsync(string code, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Batch>> ListBatchesAsync(string? type, BatchStatus? status, CancellationToken cancellationToken);

    ValueTask<BatchStats> GetStatsAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>Per task type: counts, tasks ended and busy time within the last <paramref name="window"/> (tem watch).</summary>
    ValueTask<IReadOnlyList<TaskTypeActivity>> GetTypeActivityAsync(long batchId, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Errors of attempts that ended within the last <paramref name="window"/>, oldest first; at most <paramref name="limit"/>, the newest.</summary>
    ValueTask<IReadOnlyList<TaskErrorSighting>> GetRecentErrorsAsync(long batchId, TimeSpan window, int limit, CancellationToken cancellationToken);

    /// <summary>Whether the batch has any pending and any running task: cheap at any backlog.</summary>
    ValueTask<(bool Pending, bool Running)> HasUnfinishedAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>Pending tasks of every batch.</summary>
    ValueTask<long> CountPendingAsync(CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<BatchInterruption>> GetInterruptionsAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>Everything <see cref="BatchReport"/> shows, read in one snapshot.</summary>
    ValueTask<BatchReport> GetReportAsync(Batch batch, int topErrors, CancellationToken cancellationToken);

    /// <summary>
    /// Batch → active; its running tasks whose owner is not in <paramref name="liveOwners"/> → pending after
    /// <paramref name="lostRunDelay"/>, or failed on their last attempt. Returns how many.
    /// </summary>
    ValueTask<int> ResumeBatchAsync(long batchId, IReadOnlyCollection<string> liveOwners, TimeSpan lostRunDelay, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => BatchLifecycleRules.ResumeAsync(ledger, batchId, liveOwners, lostRunDelay, cancellationToken), cancellationToken);

    /// <summary>Batch → active; its failed tasks → pending with attempts reset. Returns the tasks reset.</summary>
    ValueTask<int> RetryFailedAsync(long batchId, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => BatchLifecycleRules.RetryFailedAsync(ledger, batchId, cancellationToken), cancellationToken);

    /// <summary>Batch → cancelled; its pending and running tasks → cancelled. Returns the tasks cancelled.</summary>
    ValueTask<int> CancelBatchAsync(long batchId, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => BatchLifecycleRules.CancelAsync(ledger, batchId, cancellationToken), cancellationToken);

    /// <summary>Active batch → interrupted, with a record. False when it was not active.</summary>
    ValueTask<bool> InterruptBatchAsync(long batchId, InterruptionKind kind, string reason, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => BatchLifecycleRules.InterruptExistingAsync(ledger, batchId, kind, reason, cancellationToken), cancellationToken);

    /// <summary>The batch's history (resumes, retries, cancels, interruptions, steered tasks), newest first.</summary>
    ValueTask<IReadOnlyList<BatchEvent>> GetHistoryAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>Interrupts active batches whose runtime criterion has passed. Returns how many.</summary>
    ValueTask<int> InterruptOverdueBatchesAsync(CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => BatchLifecycleRules.InterruptOverdueAsync(ledger, cancellationToken), cancellationToken);

    // ---- enqueue ----

    /// <summary>Inserts rows as pending in one transaction (a call small enough to stage nothing).</summary>
    ValueTask<EnqueueResult> EnqueueAsync(long batchId, string type, IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => EnqueueRules.InsertManyAsync(ledger, batchId, type, tasks, cancellationToken), cancellationToken);

    /// <summary>Inserts one task; returns its id, or the id of the task that already has its idempotency key.</summary>
    ValueTask<long> EnqueueOneAsync(long batchId, string type, NewTask task, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => EnqueueRules.InsertOneAsync(ledger, batchId, type, task, cancellationToken), cancellationToken);

    /// <summary>
    /// Stages one chunk of a large enqueue, invisible to claims and reads, in a short transaction of its own. Returns
    /// how many rows were staged; which of them are new is known only at <see cref="CommitStagedAsync"/>.
    /// </summary>
    ValueTask<long> StageAsync(long batchId, string type, long token, IReadOnlyList<NewTask> tasks, CancellationToken cancellationToken);

    /// <summary>
    /// Makes every row staged under <paramref name="token"/> a pending task of type <paramref name="type"/> at once,
    /// skipping rows whose idempotency key the batch already holds. Returns how many tasks were new.
    /// </summary>
    ValueTask<long> CommitStagedAsync(long batchId, string type, long token, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => EnqueueRules.CommitStagedAsync(ledger, batchId, type, token, cancellationToken), cancellationToken);

    /// <summary>Deletes the rows staged under <paramref name="token"/>: the enqueue failed or was cancelled.</summary>
    ValueTask AbortStagedAsync(long token, CancellationToken cancellationToken);

    // ---- task reads ----

    ValueTask<TemTask?> GetTaskAsync(long taskId, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<TemTask>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>The task's earlier attempts that did not end its life (failures, refusals, lost runs, replaced results), oldest first.</summary>
    ValueTask<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(long taskId, CancellationToken cancellationToken);

    /// <summary>Failed task → pending with fresh attempts. False when it is not failed; <see cref="TaskNotFoundException"/> when it does not exist.</summary>
    ValueTask<bool> RetryTaskAsync(long taskId, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => TaskSteeringRules.RetryAsync(ledger, taskId, cancellationToken), cancellationToken);

    /// <summary>Pending task → cancelled. False when it is not pending.</summary>
    ValueTask<bool> CancelTaskAsync(long taskId, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => TaskSteeringRules.CancelAsync(ledger, taskId, cancellationToken), cancellationToken);

    /// <summary>Completed task → pending with fresh attempts, its result kept in the attempt history. False when it is not completed.</summary>
    ValueTask<bool> RerunTaskAsync(long taskId, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => TaskSteeringRules.RerunAsync(ledger, taskId, cancellationToken), cancellationToken);

    // ---- runs ----

    /// <summary>Claims up to <paramref name="limit"/> due pending tasks of <paramref name="taskTypes"/> in active batches within <paramref name="scope"/>, highest priority then lowest id first.</summary>
    ValueTask<IReadOnlyList<ClaimedTask>> ClaimAsync(string owner, IReadOnlyList<string> taskTypes, ClaimScope scope, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Applies outcomes in one transaction; returns those that no longer matched (taken, recovered or cancelled elsewhere).
    /// A fused hot path: the outcome statements are per dialect; the tallies → criteria → completion after them are
    /// <see cref="OutcomeTallyRules"/> over the same transaction's ledger.
    /// </summary>
    ValueTask<IReadOnlyList<TaskOutcome>> ApplyOutcomesAsync(IReadOnlyList<TaskOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>
    /// Applies outcomes and, when <paramref name="refill"/> asks for any, claims tasks for the slots they free, all
    /// in one transaction: a worker's busiest path (outcome → next task) pays for one transaction instead of two.
    /// Returns the rejected outcomes (as <see cref="ApplyOutcomesAsync"/>) and the claimed tasks. A store without a
    /// combined statement may apply and then claim.
    /// </summary>
    async ValueTask<(IReadOnlyList<TaskOutcome> Rejected, IReadOnlyList<ClaimedTask> Claimed)> ApplyOutcomesAndClaimAsync(
        IReadOnlyList<TaskOutcome> outcomes, ClaimRequest refill, CancellationToken cancellationToken)
    {
        var rejected = await ApplyOutcomesAsync(outcomes, cancellationToken).ConfigureAwait(false);
        var claimed = refill.Limit > 0
            ? await ClaimAsync(refill.Owner, refill.TaskTypes, refill.Scope, refill.Limit, refill.Lease, cancellationToken).ConfigureAwait(false)
            : [];
        return (rejected, claimed);
    }

    /// <summary>
    /// Records that <paramref name="owner"/> is alive until now + <paramref name="lease"/>, and extends the leases of
    /// exactly <paramref name="taskIds"/> (the runs really in flight) that it still holds. Returns the leases extended.
    /// </summary>
    ValueTask<int> HeartbeatAsync(WorkerIdentity owner, IReadOnlyCollection<long> taskIds, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Removes the worker's heartbeat: it stopped and holds nothing.</summary>
    ValueTask RemoveWorkerAsync(string owner, CancellationToken cancellationToken);

    /// <summary>The batch's pending tasks per type.</summary>
    ValueTask<IReadOnlyList<(string Type, long Count)>> GetPendingTypesAsync(long batchId, CancellationToken cancellationToken);

    /// <summary>Workers whose heartbeat has not expired.</summary>
    ValueTask<IReadOnlyList<WorkerIdentity>> ListLiveWorkersAsync(CancellationToken cancellationToken);

    /// <summary>Throws a <see cref="TemDatabaseException"/> if the store's database is gone (a SQLite file deleted or replaced under it).</summary>
    ValueTask VerifyAsync(CancellationToken cancellationToken);

    /// <summary>Running tasks whose lease expired → pending after <paramref name="lostRunDelay"/>, or failed on their last attempt. Returns how many.</summary>
    ValueTask<int> RecoverExpiredLeasesAsync(TimeSpan lostRunDelay, CancellationToken cancellationToken)
        => RunLedgerAsync(ledger => LostRunRules.RecoverExpiredAsync(ledger, lostRunDelay, cancellationToken), cancellationToken);
}
