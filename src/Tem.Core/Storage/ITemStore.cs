namespace Tem.Storage;

/// <summary>
/// The one seam between the engine and its database: every statement Tem runs sits behind it, so
/// another store (PostgreSQL with <c>FOR UPDATE SKIP LOCKED</c>) can serve the same services and worker.
/// Each state change is one conditional statement; batched ones share a transaction.
/// </summary>
internal partial interface ITemStore : IDisposable
{
    string Path { get; }

    Batch CreateBatch(string code, string type, string? metadataJson, string? criteriaJson, long nowMs);

    Batch? GetBatch(long batchId);

    Batch? GetBatchByCode(string code);

    IReadOnlyList<Batch> ListBatches(string? type, BatchStatus? status);

    BatchStats GetStats(long batchId);

    /// <summary>Whether the batch has any pending and any running task: cheap at any backlog, since each stops at the first index entry.</summary>
    (bool Pending, bool Running) HasUnfinished(long batchId);

    /// <summary>Pending tasks of every batch, read from the claimable index.</summary>
    long CountPending();

    IReadOnlyList<BatchInterruption> GetInterruptions(long batchId);

    /// <summary>Everything <see cref="BatchReport"/> shows, read in one snapshot.</summary>
    BatchReport GetReport(Batch batch, int topErrors);

    /// <summary>Batch → active; its running tasks not held by <paramref name="liveOwner"/> → pending, or failed on their last attempt. Returns how many.</summary>
    int ResumeBatch(long batchId, string liveOwner, long nowMs);

    /// <summary>Batch → active; its failed tasks → pending with attempts reset. Returns the tasks reset.</summary>
    int RetryFailed(long batchId, long nowMs);

    /// <summary>Batch → cancelled; its pending and running tasks → cancelled. Returns the tasks cancelled.</summary>
    int CancelBatch(long batchId, long nowMs);

    /// <summary>Active batch → interrupted, with a record. False when it was not active.</summary>
    bool InterruptBatch(long batchId, string reason, long nowMs);

    EnqueueResult Enqueue(long batchId, string type, IEnumerable<NewTask> tasks, long nowMs, CancellationToken cancellationToken);

    /// <summary>Inserts one task; returns its id, or the id of the task that already has its idempotency key.</summary>
    long EnqueueOne(long batchId, string type, NewTask task, long nowMs);

    TemTask? GetTask(long taskId);

    IReadOnlyList<TemTask> ListTasks(TaskQuery query);

    IReadOnlyList<ClaimedTask> Claim(string owner, string taskTypesJson, int limit, long nowMs, long leaseUntilMs);

    /// <summary>Applies outcomes in one transaction; returns those that no longer matched (taken or recovered elsewhere).</summary>
    IReadOnlyList<TaskOutcome> ApplyOutcomes(IReadOnlyList<TaskOutcome> outcomes, long nowMs);

    int RenewLeases(string owner, long leaseUntilMs);

    /// <summary>Running tasks whose lease expired → pending, or failed on their last attempt. Returns how many.</summary>
    int RecoverExpiredLeases(long nowMs);

    /// <summary>Interrupts active batches with criteria whose runtime has passed. Returns how many.</summary>
    int InterruptOverdueBatches(long nowMs);

    int ReleaseOwned(string owner, long nowMs);
}
