namespace Tem.Storage;

/// <summary>
/// A store's batch and task tables seen from inside one write transaction: single-statement primitives, each named
/// entity + verb (+ cardinality), in the store's own dialect. The rules (resume, retry-failed, lost runs, cancel,
/// interrupt, steering, tallies → criteria → completion) are written once above them (Storage/Rules) and record
/// what they changed in <see cref="Changes"/>. Every time a primitive stamps comes from the store's clock; a primitive
/// that hands the rules a time returns the one it used. Like <see cref="IRateLedger"/>, a SQLite ledger completes
/// every call synchronously. A conformance test per primitive runs against each store (LedgerConformanceTests).
/// </summary>
internal interface ITemLedger
{
    /// <summary>What this transaction changed; the store sends it (NOTIFY, engine signals) when it commits.</summary>
    StoreChanges Changes { get; }

    // ---- batch ----

    /// <summary>The batch's status, or null when no batch has the id. With <paramref name="forUpdate"/> the row stays locked until the transaction ends (PostgreSQL; SQLite's write transaction holds the file).</summary>
    ValueTask<BatchStatus?> BatchGetStatusAsync(long batchId, bool forUpdate, CancellationToken ct);

    /// <summary>Batch → active with fresh interruption counters and no start time (its completion time is kept).</summary>
    ValueTask BatchRestartAsync(long batchId, CancellationToken ct);

    /// <summary>An active batch's completion time is cleared: tasks of it run again.</summary>
    ValueTask BatchReopenAsync(long batchId, CancellationToken ct);

    /// <summary>A completed batch → active, its completion time cleared. False when it was not completed.</summary>
    ValueTask<bool> BatchReactivateAsync(long batchId, CancellationToken ct);

    /// <summary>An active batch that has tasks, none pending or running → completed (keeping an earlier completion time). True when it was.</summary>
    ValueTask<bool> BatchCompleteIfDoneAsync(long batchId, CancellationToken ct);

    /// <summary>Batch → cancelled, completed now.</summary>
    ValueTask BatchSetCancelledAsync(long batchId, CancellationToken ct);

    /// <summary>An active batch → interrupted. False when it was not active.</summary>
    ValueTask<bool> BatchInterruptIfActiveAsync(long batchId, CancellationToken ct);

    /// <summary>How many of the batch's tasks are in each status (staged rows not counted).</summary>
    ValueTask<BatchStats> BatchGetStatsAsync(long batchId, CancellationToken ct);

    /// <summary>Records an interruption with its kind, reason and the stats at that moment.</summary>
    ValueTask BatchInterruptionInsertAsync(long batchId, InterruptionKind kind, string reason, BatchStats stats, CancellationToken ct);

    /// <summary>Adds an entry to the batch's history.</summary>
    ValueTask BatchEventInsertAsync(long batchId, string kind, string message, CancellationToken ct);

    /// <summary>Active, started batches whose criteria bound their runtime, with the store's clock now.</summary>
    ValueTask<(IReadOnlyList<(long Id, string CriteriaJson, long StartedAtMs)> Batches, long NowMs)> BatchListRuntimeBoundAsync(CancellationToken ct);

    /// <summary>The criteria of an active batch; null when it has none or is not active.</summary>
    ValueTask<string?> BatchGetCriteriaIfActiveAsync(long batchId, CancellationToken ct);

    /// <summary>
    /// Adds a tally to an active batch's interruption counters and returns them with the store's clock; null when the
    /// batch is not active. The one write to a shared row per batch: issue 26 (the hot row) owns its redesign.
    /// </summary>
    ValueTask<(BatchCounters Counters, long NowMs)?> BatchAddTallyAsync(long batchId, BatchTally tally, CancellationToken ct);

    // ---- task ----

    /// <summary>Inserts <paramref name="tasks"/> as pending, skipping rows whose idempotency key the batch already holds. Returns how many were new.</summary>
    ValueTask<long> TaskInsertManyAsync(long batchId, string type, IReadOnlyList<NewTask> tasks, CancellationToken ct);

    /// <summary>Inserts one pending task; its id and true, or the id of the task that already has its idempotency key and false.</summary>
    ValueTask<(long Id, bool Inserted)> TaskInsertOneAsync(long batchId, string type, NewTask task, CancellationToken ct);

    /// <summary>The rows staged under <paramref name="token"/> → pending tasks of <paramref name="type"/>, skipping keys the batch holds. Returns how many were new.</summary>
    ValueTask<long> TaskCommitStagedAsync(long batchId, string type, long token, CancellationToken ct);

    /// <summary>The id of the batch that holds the task; null when no (unstaged) task has the id.</summary>
    ValueTask<long?> TaskGetBatchIdAsync(long taskId, CancellationToken ct);

    /// <summary>How many tasks the batch holds (staged rows not counted), counting no further than <paramref name="limit"/>.</summary>
    ValueTask<long> TaskCountUpToAsync(long batchId, int limit, CancellationToken ct);

    /// <summary>How many of the batch's attempts ended with <paramref name="outcome"/> within the last <paramref name="window"/>.</summary>
    ValueTask<long> TaskAttemptCountRecentAsync(long batchId, string outcome, TimeSpan window, CancellationToken ct);

    /// <summary>The batch's pending and running tasks → cancelled, leases dropped. Returns how many.</summary>
    ValueTask<int> TaskCancelUnfinishedManyAsync(long batchId, CancellationToken ct);

    /// <summary>The batch's failed tasks → pending now with fresh attempts, their error cleared (the history keeps it). Returns how many.</summary>
    ValueTask<int> TaskResetFailedManyAsync(long batchId, CancellationToken ct);

    /// <summary>A failed task → pending now with fresh attempts, its error cleared. False when it is not failed.</summary>
    ValueTask<bool> TaskResetIfFailedAsync(long taskId, CancellationToken ct);

    /// <summary>A pending task → cancelled. False when it is not pending.</summary>
    ValueTask<bool> TaskCancelIfPendingAsync(long taskId, CancellationToken ct);

    /// <summary>A completed task → pending now with fresh attempts, result and error cleared. False when it is not completed.</summary>
    ValueTask<bool> TaskResetIfCompletedAsync(long taskId, CancellationToken ct);

    /// <summary>A completed task's result goes to its attempt history (nothing when it is not completed).</summary>
    ValueTask TaskAttemptInsertResultAsync(long taskId, CancellationToken ct);

    /// <summary>One 'lost' attempt in the history of each of <paramref name="runs"/>, while the rows still show the attempt that ran.</summary>
    ValueTask TaskAttemptInsertLostManyAsync(LostRuns runs, CancellationToken ct);

    /// <summary>
    /// <paramref name="runs"/> → pending after <paramref name="lostRunDelay"/> × 2^(attempts used − 1) (at most 64 ×), or
    /// failed on their last attempt with an error that says so; leases dropped. Returns each row's batch and whether it failed.
    /// </summary>
    ValueTask<IReadOnlyList<(long BatchId, bool Failed)>> TaskReleaseLostManyAsync(LostRuns runs, TimeSpan lostRunDelay, CancellationToken ct);

    /// <summary>The open budget reservations of <paramref name="runs"/> end with them (while the rows still show the runs): a crashed process's calls hold no budget.</summary>
    ValueTask SpendReservationDeleteLostManyAsync(LostRuns runs, CancellationToken ct);

    // ---- worker ----

    /// <summary>Deletes heartbeats that expired more than <paramref name="olderThan"/> ago.</summary>
    ValueTask WorkerDeleteExpiredAsync(TimeSpan olderThan, CancellationToken ct);
}
